// Applies records concurrently (bounded) while keeping log order where it matters: a record waits for every
// in-flight record on the same path, an ancestor or a descendant (a delete of a folder and a write inside it must
// not overlap). It tracks the completed prefix, which is all the cursor may ever claim.
// A record can be parked (its temp file written, waiting for the batch's sync: durable-batch.ts): it still holds its
// path and the cursor, but not a concurrency slot. A record whose path overlaps only parked records (a folder's
// version after the files in it) is deferred: it starts once they finish, and reading carries on meanwhile (a batch
// is not cut at every folder). Whenever the scheduler must wait for a parked or deferred record (an overlapping
// path, drain, settle) it calls `flushParked` so the wait always ends.
// Invariant: `completedBelow()` never passes a record that is still running (parked included) or that failed.
import { assert } from '../util/assert.js';

/** True when one key is the other, or one is a folder containing the other. */
export function keysOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  return a.length < b.length ? b.startsWith(a) && b[a.length] === '/' : a.startsWith(b) && a[b.length] === '/';
}

interface Running {
  key: string;
  /** Writes of this record waiting for a batch sync. */
  parks: number;
  /** Waiting for overlapping parked records to finish before it starts. */
  deferred: boolean;
  /** Resolves when the record is done (either way): what a deferred record waits for. */
  finished: Promise<void>;
  finish: () => void;
}

export class ApplyScheduler {
  private readonly running = new Map<number, Running>();
  private failedSeq: number | undefined;
  private failure: unknown;
  private launchedUpTo = -1;
  private parkedRecords = 0;
  private deferredRecords = 0;
  private wake: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Running keys (with counts): with `runningAncestors`, answers "may this key overlap?" without a scan. */
  private readonly runningKeys = new Map<string, number>();
  /** Every strict ancestor folder of a running key (with counts). */
  private readonly runningAncestors = new Map<string, number>();

  constructor(
    private readonly concurrency: number,
    /** Closes the batch the parked records wait for (called whenever the scheduler has to wait on one). */
    private readonly flushParked: () => void = () => {},
  ) {
    assert(concurrency >= 1, 'concurrency must be at least 1');
  }

  /** Records running that wait for nothing the scheduler controls: each will park or end, and wake it. */
  private get active(): number {
    return this.running.size - this.parkedRecords - this.deferredRecords;
  }

  /** Record `seq` (running) now waits for a batch sync: its slot is free for another record. */
  park(seq: number): void {
    const running = this.running.get(seq);
    assert(running !== undefined, 'only a running record parks');
    if (running.parks++ === 0) this.parkedRecords++;
    this.wakeUp();
  }

  unpark(seq: number): void {
    const running = this.running.get(seq);
    assert(running !== undefined && running.parks > 0, 'unpark without park');
    if (--running.parks === 0) this.parkedRecords--;
  }

  /** Starts `task` for record `seq` once there is room and nothing overlapping runs. Seqs must increase. */
  async launch(seq: number, key: string, task: () => Promise<void>): Promise<void> {
    assert(seq > this.launchedUpTo, 'records are launched in log order');
    this.throwIfFailed();
    let blockers: Running[];
    for (;;) {
      // Room first (cheap), then the scan over everything running (parked records included: hundreds).
      if (this.active >= this.concurrency) {
        await this.woken();
        this.throwIfFailed();
        continue;
      }
      blockers = this.overlapping(key);
      if (blockers.every((r) => r.parks > 0 && !r.deferred)) break;
      // Blocked by a record that waits for the batch: close the batch only once nothing else runs (a running record
      // parks or ends, and wakes this loop): closing it at every wake made hundreds of tiny `sync -f` batches.
      if (this.active === 0 && blockers.some((r) => r.parks > 0 || r.deferred)) this.flushParked();
      await this.woken();
      this.throwIfFailed();
    }
    this.launchedUpTo = seq;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const entry: Running = { key, parks: 0, deferred: blockers.length > 0, finished, finish };
    this.running.set(seq, entry); // before the task starts: it may park
    this.index(key, 1);
    if (!entry.deferred) return this.start(seq, entry, task);
    this.deferredRecords++;
    void Promise.all(blockers.map((r) => r.finished)).then(() => {
      entry.deferred = false;
      this.deferredRecords--;
      // An earlier record failed: this one is not applied (the cursor stays before the failure; a restart replays).
      if (this.failedSeq !== undefined) return this.end(seq, entry);
      this.start(seq, entry, task);
    });
  }

  private start(seq: number, entry: Running, task: () => Promise<void>): void {
    void task().then(
      () => this.end(seq, entry),
      (error: unknown) => {
        if (this.failedSeq === undefined || seq < this.failedSeq) {
          this.failedSeq = seq;
          this.failure = error;
        }
        this.end(seq, entry);
      },
    );
  }

  private end(seq: number, entry: Running): void {
    this.running.delete(seq);
    this.index(entry.key, -1);
    entry.finish();
    this.wakeUp();
  }

  /** Waits for everything launched; throws the first failure (by seq). */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for everything launched without throwing (used while stopping after an error). */
  async settle(): Promise<void> {
    while (this.running.size > 0) {
      // Flushed once every record still running waits for the batch (a batch closed before a record parked would not
      // cover it; one closed at every park made a `sync -f` per file at the end of a catch-up).
      if (this.active === 0) this.flushParked();
      await this.woken();
    }
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


  /**
   * Everything running whose key overlaps `key`. The scan over every running record (hundreds while a batch's
   * writes are parked) only happens when the index says one overlaps; most records in a catch-up overlap nothing.
   */
  private overlapping(key: string): Running[] {
    if (!this.mayOverlap(key)) return [];
    const found: Running[] = [];
    for (const r of this.running.values()) if (keysOverlap(r.key, key)) found.push(r);
    return found;
  }

  /** Exact: true iff some running key is `key`, one of its ancestors, or a descendant of it. */
  private mayOverlap(key: string): boolean {
    if (this.runningKeys.has(key) || this.runningAncestors.has(key)) return true;
    for (let slash = key.indexOf('/'); slash > 0; slash = key.indexOf('/', slash + 1)) {
      if (this.runningKeys.has(key.slice(0, slash))) return true;
    }
    return false;
  }

  private index(key: string, delta: 1 | -1): void {
    bump(this.runningKeys, key, delta);
    for (let slash = key.indexOf('/'); slash > 0; slash = key.indexOf('/', slash + 1)) bump(this.runningAncestors, key.slice(0, slash), delta);
  }

  /**
   * Resolves at the next park or finish (a slot freed, or a record a drain must flush for). One shared promise, not
   * a race over every running record's: with hundreds parked, a race per launch piled up reactions (measured: 2× CPU).
   */
  private woken(): Promise<void> {
    if (!this.wake) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.wake = { promise, resolve };
    }
    return this.wake.promise;
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.resolve();
  }

  private throwIfFailed(): void {
    if (this.failedSeq !== undefined) throw this.failure;
  }
}

function bump(counts: Map<string, number>, key: string, delta: 1 | -1): void {
  const count = (counts.get(key) ?? 0) + delta;
  if (count === 0) counts.delete(key);
  else counts.set(key, count);
}
