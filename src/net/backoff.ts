// Retry delays while a server is away (docs/protocol.md "Clients"): exponential with full jitter (AWS's
// "Exponential Backoff and Jitter"), so many followers of a restarted server do not come back in one wave.
import { NET_LIMITS } from '../util/limits.js';

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly firstMs: number = NET_LIMITS.retryDelayMsFirst,
    private readonly maxMs: number = NET_LIMITS.retryDelayMsMax,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  /** The next delay: uniform in [0, min(max, first·2^attempt)], at least 10 ms. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(10, Math.round(this.random() * ceiling));
  }

  /** A request went through: the next outage starts from the first delay again. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Sleeps `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
