// Periodic snapshots (docs/config.md "Periodic snapshots"): for a folder with `every`, one pass at start and then
// one every interval, each interval moved at random by up to `jitter` either way so that many machines (or many
// folders) started together do not scan in one wave. Passes of one schedule never overlap: the next interval is
// counted from the end of the last pass. stop() waits for a pass in progress (its records must be durable).

/** The delay before the next pass: `everyMs` ± up to `jitterMs`, uniform; never below 0. Pure. */
export function nextDelayMs(everyMs: number, jitterMs: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(everyMs + (random() * 2 - 1) * jitterMs));
}

export class Schedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** When the next pass starts (ms since the epoch), for status. */
  nextRunMs: number | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly jitterMs: number,
    private readonly pass: () => Promise<void>,
  ) {}

  /** Runs the first pass now, then keeps the schedule. */
  start(): void {
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.nextRunMs = undefined;
    await this.running;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.nextRunMs = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        this.arm(nextDelayMs(this.everyMs, this.jitterMs));
      });
    }, delayMs);
  }
}
