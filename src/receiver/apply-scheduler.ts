// Applies records concurrently (bounded) while keeping log order where it matters: a record waits for every
// in-flight record on the same path, an ancestor or a descendant (a delete of a folder and a write inside it must
// not overlap). It tracks the completed prefix, which is all the cursor may ever claim.
// Invariant: `completedBelow()` never passes a record that is still running or that failed.
import { assert } from '../util/assert.js';

/** True when one key is the other, or one is a folder containing the other. */
export function keysOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  return a.length < b.length ? b.startsWith(a) && b[a.length] === '/' : a.startsWith(b) && a[b.length] === '/';
}

interface Running {
  key: string;
  done: Promise<void>;
}

export class ApplyScheduler {
  private readonly running = new Map<number, Running>();
  private failedSeq: number | undefined;
  private failure: unknown;
  private launchedUpTo = -1;

  constructor(private readonly concurrency: number) {
    assert(concurrency >= 1, 'concurrency must be at least 1');
  }

  /** Starts `task` for record `seq` once there is room and nothing overlapping runs. Seqs must increase. */
  async launch(seq: number, key: string, task: () => Promise<void>): Promise<void> {
    assert(seq > this.launchedUpTo, 'records are launched in log order');
    this.throwIfFailed();
    while (this.running.size >= this.concurrency || this.overlaps(key)) {
      await Promise.race([...this.running.values()].map((r) => r.done));
      this.throwIfFailed();
    }
    this.launchedUpTo = seq;
    const done = task().then(
      () => {
        this.running.delete(seq);
      },
      (error: unknown) => {
        this.running.delete(seq);
        if (this.failedSeq === undefined || seq < this.failedSeq) {
          this.failedSeq = seq;
          this.failure = error;
        }
      },
    );
    this.running.set(seq, { key, done });
  }

  /** Waits for everything launched; throws the first failure (by seq). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
    this.throwIfFailed();
  }

  /** Waits for everything launched without throwing (used while stopping after an error). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /**
   * The seq below which every record is applied: the smallest running or failed seq, else `scannedUpTo` (the
   * seq after the last record read, whether or not it needed work).
   */
  completedBelow(scannedUpTo: number): number {
    let below = scannedUpTo;
    for (const seq of this.running.keys()) below = Math.min(below, seq);
    if (this.failedSeq !== undefined) below = Math.min(below, this.failedSeq);
    return below;
  }

  get error(): unknown {
    return this.failure;
  }

  private overlaps(key: string): boolean {
    for (const r of this.running.values()) if (keysOverlap(r.key, key)) return true;
    return false;
  }

  private throwIfFailed(): void {
    if (this.failedSeq !== undefined) throw this.failure;
  }
}
