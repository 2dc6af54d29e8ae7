// Batched durability for the receiver's file writes: instead of one fsync per file, a batch of temp files (written
// and closed, not fsynced) is made durable by ONE `sync -f <destination>` (syncfs(2) of the destination's
// filesystem, filesystem-sync.ts), and only then may each temp be renamed over its target.
// Owns the batch (who waits for which sync) and the sync call; never renames, never touches a file itself, never
// writes anything (a sync only flushes what is already written, on the destination's filesystem).
// Invariant: `stage()` resolves only after a sync that STARTED after the caller's data was written (and closed) has
// succeeded; on a failed sync every waiter of that batch is rejected (IoError), so nothing of it is renamed.
import { RECEIVER_LIMITS } from '../util/limits.js';
import { ApplyScheduler } from './apply-scheduler.js';
import type { FilesystemSync } from './filesystem-sync.js';

/** What the batch tells its owner: a record's write now waits for a sync (parked) or no longer does. */
export interface BatchHooks {
  park(seq: number): void;
  unpark(seq: number): void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class DurableBatch {
  private waiters: Waiter[] = [];
  private bytes = 0;
  /** The sync chain: one sync at a time, each covering the waiters staged before it started. */
  private syncing: Promise<void> = Promise.resolve();
  private eager = false;
  private flushScheduled = false;

  constructor(
    private readonly hooks: BatchHooks,
    /** One syncfs of the destination's filesystem (filesystem-sync.ts); rejects with IoError. */
    readonly syncFilesystem: () => Promise<void>,
  ) {}

  /**
   * Following a trickle (set by the session: few records since the log last had nothing ready), writes are synced
   * alone: a lone fsync is quicker than a syncfs of a filesystem others write to, and there is no batch to share.
   */
  trickle = false;

  /** True when a write now should fsync itself instead of joining the batch. */
  get live(): boolean {
    return this.eager || this.trickle;
  }

  /** Files staged and not yet under a sync. */
  get staged(): number {
    return this.waiters.length;
  }

  /**
   * Called by a write for record `seq` once its temp file holds `bytes` bytes and is closed. Resolves when the
   * data is durable (then the caller renames); rejects when the sync failed (then the caller removes its temp).
   */
  async stage(seq: number, bytes: number): Promise<void> {
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.bytes += bytes;
    this.hooks.park(seq);
    try {
      if (this.waiters.length >= RECEIVER_LIMITS.batchFilesMax || this.bytes >= RECEIVER_LIMITS.batchBytesMax) void this.flush();
      else if (this.eager) this.scheduleFlush();
      await durable;
    } finally {
      this.hooks.unpark(seq);
    }
  }

  /**
   * Live mode: the log has nothing more ready, so a write must not wait for a full batch. Writes staged while
   * eager are synced together on the next turn of the event loop (those finishing in the same turn share it).
   */
  setEager(eager: boolean): void {
    this.eager = eager;
    if (eager && this.waiters.length > 0) this.scheduleFlush();
  }

  /** Closes the current batch: one sync for everything staged so far. Resolves when that sync is done (or failed). */
  flush(): Promise<void> {
    if (this.waiters.length === 0) return this.syncing;
    const batch = this.waiters;
    this.waiters = [];
    this.bytes = 0;
    // Chained: a sync started after the previous one covers this batch's data, written before flush() was called.
    this.syncing = this.syncing.then(() =>
      this.syncFilesystem().then(
        () => batch.forEach((w) => w.resolve()),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      ),
    );
    return this.syncing;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }
}

/**
 * An ApplyScheduler whose parked writes share a DurableBatch (one `sync -f` of `syncer`'s filesystem per batch);
 * without `syncer` (`sync -f` does not work here) there is no batch and every file is fsynced on its own.
 * `schedulerSeq` maps a record's log seq (what a write parks under) to the seq it was launched with, when those differ
 * (checkout launches in path order).
 */
export function scheduleWithBatch(
  concurrency: number,
  syncer: FilesystemSync | undefined,
  schedulerSeq: (seq: number) => number = (seq) => seq,
): { scheduler: ApplyScheduler; batch: DurableBatch | undefined } {
  let batch: DurableBatch | undefined;
  const scheduler = new ApplyScheduler(concurrency, () => void batch?.flush());
  if (syncer) {
    const hooks = { park: (seq: number) => scheduler.park(schedulerSeq(seq)), unpark: (seq: number) => scheduler.unpark(schedulerSeq(seq)) };
    batch = new DurableBatch(hooks, () => syncer.sync());
  }
  return { scheduler, batch };
}
