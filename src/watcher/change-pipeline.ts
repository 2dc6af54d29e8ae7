// The path pipeline: changed paths wait in the settle queue until quiet, are reconciled in batches (reads in
// parallel), become records, and are committed with one append (one fsync) per batch; listeners hear of a change
// only after that append is durable. Deletes wait a rename window for a matching add. Bounded everywhere
// (WATCH_LIMITS). Never reads or writes the log itself except through the store.
// Rename pairing must not depend on how fast this process runs: a held delete is released only once its window has
// passed *and* the pipeline has nothing else in hand (a partner being read in another batch, waiting to settle or
// queued), up to WATCH_LIMITS.heldDeleteWaitMsMax; and a directory move enqueues its descendants' new paths itself,
// so they pair without waiting for the event source to discover them (slow under load).
// Invariants: a path is never in two batches at once (a touch while in flight defers it); a key leaves
// `outstanding` only when everything seen for it is durable or reported as an error (flush() relies on it).
import { lstatSync, readdirSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { displayName } from '../util/display-name.js';
import { DiskFullError, UnsafePathError, WatchError, wrapIoError } from '../errors.js';
import { validateLogPath } from '../util/log-path.js';
import type { VersionEvent, VersionRecord } from '../record/index.js';
import type { StoreApi } from '../store/types.js';
import { WATCH_LIMITS } from '../util/limits.js';
import { changeOf, hexOf, planRecords, type Appeared, type PlannedRecord, type Vanished } from './batch-records.js';
import type { DurableBatch, WatcherChange, WatcherStats } from './events.js';
import { absolutePathOf, reconcilePath, type Outcome, type PresentEntry, type ReconcileContext, type ReconcileRoot } from './reconcile.js';
import { pairRenames } from './rename-pairer.js';
import { SettleQueue } from './settle-queue.js';
import { ByteBudget } from './byte-budget.js';
import { HeldDeletes } from './held-deletes.js';
import { mapLimit } from './map-limit.js';
import { ReadAhead } from '../util/read-ahead.js';

/** What the pipeline needs of the store: reading files into content, and committing the records. */
export type PipelineStore = Pick<StoreApi, 'logDir' | 'appendRecords' | 'statCache' | 'ingestFile' | 'hasChunk'>;

export interface PipelineRoot extends ReconcileRoot {
  failed: boolean;
  /** Events were dropped because too many paths were pending: rescan the root once the backlog shrinks. */
  rescanNeeded?: boolean;
}

export interface PipelineHooks {
  committed(changes: WatcherChange[], batch: DurableBatch): void;
  error(error: Error): void;
  /** The root's directory is gone: stop watching it (its paths are dropped, never recorded as deleted). */
  rootFailed(root: PipelineRoot, error: WatchError): void;
  ownerOf(uid: number): string | undefined;
  /** Live paths the log has below `dirPath` (to find what vanished with a directory). */
  liveBelow(root: string, dirPath: string): string[];
  /** Up to `max` live file paths in `root` whose content may be `contentIdHex` (candidates, checked against their records). */
  liveFilesWithContent(root: string, contentIdHex: string, max: number): string[];
  /** The log's disk became full: said once per episode, with what waits (the paths are kept and retried). */
  diskFull(error: DiskFullError, waiting: { paths: number; fileBytes: number }): void;
  /** The first append after a full disk went through: the waiting paths are being recorded. */
  resumed(stalledMs: number): void;
}

/**
 * A full-disk episode: from the first refused append until every path it held up is recorded (or let go). Appends
 * that go through in between (a small file fits, a big one does not) do not end it: it is said once, not per flap.
 */
interface DiskFullStall {
  sinceMs: number;
  /** Refusals since the last append that went through (the backoff's exponent). */
  failures: number;
  announced: boolean;
  /** An append went through since the last refusal. */
  recovered: boolean;
  /** Paths refused and waiting to be tried again → the size of their file content (0 for others). */
  waiting: Map<string, number>;
}

/** The counters behind WatcherStats (the watcher adds runtime and roots). */
export type PipelineCounters = Omit<WatcherStats, 'runtimeMs' | 'roots' | 'pending'>;

export function keyOf(root: string, path: string): string {
  return `${root}/${path}`;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}

export class ChangePipeline {
  readonly counters: PipelineCounters = {
    created: 0, modified: 0, deleted: 0, renamed: 0, duplicatesSkipped: 0, bytesIngested: 0, filesRead: 0, versions: 0, errors: 0,
    notRecorded: 0,
  };
  private stall: DiskFullStall | undefined;
  private ticket = 0;
  private readonly settle: SettleQueue<string>;
  private readonly ready = new Set<string>();
  private readonly inflight = new Set<string>();
  /** The batch each in-flight key is in: a later batch may wait for an earlier one (never the other way round). */
  private readonly batchOf = new Map<string, { id: number; finished: Promise<void> }>();
  private batchSeq = 0;
  private readonly deferred = new Set<string>();
  private readonly held: HeldDeletes;
  private readonly retries = new Map<string, number>();
  /** Names already reported as unrecordable (see refuseOnce). */
  private readonly refusedNames = new Set<string>();
  private readonly attempts = new Map<string, number>();
  /** key → oldest ticket not yet durable; insertion order is ticket order. */
  private readonly outstanding = new Map<string, number>();
  private readonly inodes = new Map<string, number>();
  private readonly restores = new Map<string, string>();
  private flushWaiters: { ticket: number; resolve: () => void }[] = [];
  private readonly budget = new ByteBudget(WATCH_LIMITS.ingestInFlightFileBytesMax);
  /** Warms the files of large batches ahead of their reads (started with the first such batch). */
  private readonly readAhead = new ReadAhead();
  private batchesRunning = 0;
  private pumpQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDueMs = Infinity;
  /** Stopping or one-shot: no debounce, no rename window. */
  private forced = false;
  private closed = false;

  constructor(
    private readonly store: PipelineStore,
    private readonly ctx: Omit<ReconcileContext, 'counters' | 'budget'>,
    private readonly roots: ReadonlyMap<string, PipelineRoot>,
    private readonly hooks: PipelineHooks,
    timing: { debounceMs: number; renameWindowMs: number; settleWaitMsMax: number },
  ) {
    this.settle = new SettleQueue(timing.debounceMs, timing.settleWaitMsMax);
    this.held = new HeldDeletes(timing.renameWindowMs);
  }

  /**
   * Says once per name that it cannot be recorded (a backslash, over the length limits) and returns true; every
   * way a name reaches the watcher (events, directory relistings, scans) shares this memory, so a refused name is
   * reported once, not at every batch that meets it again.
   */
  refuseOnce(key: string, error: UnsafePathError): void {
    if (this.refusedNames.has(key)) return;
    if (this.refusedNames.size < WATCH_LIMITS.refusedNamesMax) this.refusedNames.add(key);
    this.hooks.error(error);
  }

  /** False (after saying so once) for a name the log cannot hold: it never enters the pipeline. */
  private recordable(root: string, path: string): boolean {
    try {
      validateLogPath(path);
      if (path.includes('\uFFFD')) checkNameDecodes(this.roots.get(root)?.path, root, path);
      return true;
    } catch (error) {
      if (!(error instanceof UnsafePathError)) throw error;
      this.refuseOnce(keyOf(root, path), error);
      return false;
    }
  }

  /** A file-system event for a path: it is read once it has been quiet for the debounce time. */
  touch(root: string, path: string): void {
    if (!this.recordable(root, path)) return;
    const key = keyOf(root, path);
    this.noteOutstanding(key);
    this.held.forget(key); // a new look decides afresh whether it is gone
    this.retries.delete(key);
    this.settle.touch(key, Date.now(), this.ticket);
    this.pump();
  }

  /**
   * A path to look at now, without debounce (scan results, catch-up). Paths handed over in one go (a scan's whole
   * list) go into batches together, not the first alone: a move's old and new paths then meet in one batch.
   */
  enqueueNow(root: string, path: string): void {
    if (!this.recordable(root, path)) return;
    this.enqueueQuiet(root, path);
    this.pumpSoon();
  }

  /** Pumps once the caller's synchronous run of calls is over. */
  private pumpSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** enqueueNow without pumping (callers inside a batch: the batch's end pumps). */
  private enqueueQuiet(root: string, path: string): void {
    const key = keyOf(root, path);
    this.noteOutstanding(key);
    this.held.forget(key);
    this.settle.remove(key);
    this.ready.add(key);
  }

  /** The root directory itself had an event: if it is gone, report it once and stop recording it. */
  enqueueRootCheck(rootName: string): void {
    const root = this.roots.get(rootName);
    if (!root || root.failed) return;
    void rootStillThere(root.path).then((there) => {
      if (!there) this.failRoot(root);
    });
  }

  /**
   * A scan has found at least readAheadPathsMin paths to look at (handed over when its walk ends): the read-ahead
   * worker starts now, while the walk goes on, instead of when the first batch needs it.
   */
  expectManyPaths(): void {
    if (!this.closed && this.ctx.syncFileCalls) this.readAhead.prepare();
  }

  /** Remembers an inode seen by a scan (rename pairing of directories needs the old one). */
  noteInode(root: string, path: string, ino: number): void {
    this.inodes.set(keyOf(root, path), ino);
  }

  /** The next version of `root/path` with this content is a restore, not an edit. */
  expectRestore(root: string, path: string, contentIdHex: string): void {
    this.restores.set(keyOf(root, path), contentIdHex);
  }

  /** True while anything seen for this path is not yet durable. */
  isPending(root: string, path: string): boolean {
    return this.outstanding.has(keyOf(root, path));
  }

  get pendingCount(): number {
    return this.outstanding.size;
  }

  /** Resolves once everything touched before this call is durable (or reported as an error). */
  flush(): Promise<void> {
    const ticket = this.ticket;
    return new Promise((resolve) => {
      this.flushWaiters.push({ ticket, resolve });
      this.checkFlushWaiters();
    });
  }

  /** Drops debounce and rename windows and processes everything now; resolves when all is durable. */
  async drain(): Promise<void> {
    this.forced = true;
    this.pump();
    await this.flush();
  }

  close(): void {
    this.closed = true;
    void this.readAhead.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve();
  }

  private noteOutstanding(key: string): void {
    this.ticket += 1;
    if (!this.outstanding.has(key)) this.outstanding.set(key, this.ticket);
  }

  private finish(key: string): void {
    // Re-touched while we worked on it: its newer events are still to be processed.
    if (this.settle.has(key) || this.ready.has(key) || this.deferred.has(key) || this.held.has(key) || this.retries.has(key)) return;
    this.outstanding.delete(key);
    this.attempts.delete(key);
    this.endStallIfDone(key);
  }

  private checkFlushWaiters(): void {
    const oldest = this.outstanding.values().next();
    const oldestTicket = oldest.done ? Infinity : oldest.value;
    const still: typeof this.flushWaiters = [];
    for (const waiter of this.flushWaiters) (waiter.ticket < oldestTicket ? waiter.resolve : () => still.push(waiter))();
    this.flushWaiters = still;
  }

  private pump(): void {
    if (this.closed) return;
    while (this.batchesRunning < WATCH_LIMITS.batchesInFlightMax) {
      const nowMs = Date.now();
      const keys = this.takeBatch(nowMs);
      const heldDueMs = this.held.nextDueMs();
      const heldDue = heldDueMs !== undefined && heldDueMs <= this.releaseUpToMs(nowMs, 0);
      if (keys.length === 0 && !heldDue) break;
      this.batchesRunning += 1;
      void this.runBatch(keys).finally(() => {
        this.batchesRunning -= 1;
        this.pump();
        this.checkFlushWaiters();
      });
    }
    this.schedule();
  }

  private takeBatch(nowMs: number): string[] {
    for (const [key, dueMs] of this.retries) {
      if (this.forced || dueMs <= nowMs) {
        this.retries.delete(key);
        this.ready.add(key);
      }
    }
    const keys: string[] = [];
    const room = () => WATCH_LIMITS.batchPathsMax - keys.length;
    const take = (key: string) => (this.inflight.has(key) ? this.deferred.add(key) : keys.push(key));
    for (const key of this.ready) {
      if (room() <= 0) break;
      this.ready.delete(key);
      take(key);
    }
    if (room() > 0) {
      for (const key of this.forced ? this.settle.takeAll(room()) : this.settle.takeDue(nowMs, room())) take(key);
    }
    return keys;
  }

  /**
   * Held deletes due at or before the returned time may become tombstones now. While other paths are in hand (one
   * may be the partner, read late because the process is starved), they wait, at most heldDeleteWaitMsMax longer.
   * `ownBatches`: batches counted in batchesRunning that belong to the caller.
   */
  private releaseUpToMs(nowMs: number, ownBatches: number): number {
    if (this.busy(ownBatches)) return nowMs - WATCH_LIMITS.heldDeleteWaitMsMax;
    return this.forced ? Infinity : nowMs;
  }

  /** True while any path other than the caller's batch is queued, settling, waiting to retry or being reconciled. */
  private busy(ownBatches: number): boolean {
    return this.batchesRunning > ownBatches || this.ready.size > 0 || this.settle.size > 0 || this.retries.size > 0 || this.deferred.size > 0;
  }

  private schedule(): void {
    // With every batch slot busy, the end of a batch pumps again; a timer now would only spin.
    if (this.closed || this.batchesRunning >= WATCH_LIMITS.batchesInFlightMax) return;
    // Held deletes wait for the pipeline to be idle (then a batch end or settle timer pumps) or for their cap.
    const heldDueMs = this.held.nextDueMs();
    const heldWaitMs = this.busy(0) ? WATCH_LIMITS.heldDeleteWaitMsMax : 0;
    let dueMs = Math.min(this.settle.nextDueMs() ?? Infinity, heldDueMs === undefined ? Infinity : heldDueMs + heldWaitMs);
    for (const retryMs of this.retries.values()) dueMs = Math.min(dueMs, retryMs);
    if (dueMs === Infinity || dueMs >= this.timerDueMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDueMs = dueMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDueMs = Infinity;
      // Timers run before I/O in each turn of the event loop: let file-system events that are already waiting be
      // delivered first, so a late timer (a starved process) decides with what has already happened.
      setImmediate(() => this.pump());
    }, Math.max(0, dueMs - Date.now()));
  }

  private async runBatch(keys: string[]): Promise<void> {
    const batch = { id: ++this.batchSeq, finished: Promise.resolve() };
    let markFinished!: () => void;
    batch.finished = new Promise<void>((resolve) => (markFinished = resolve));
    for (const key of keys) {
      this.inflight.add(key);
      this.batchOf.set(key, batch);
    }
    const done: string[] = [];
    // Paths this batch takes in while it commits (a move's old path, found gone): in flight with it, like its keys.
    const claimed: string[] = [];
    const claim = (key: string) => {
      claimed.push(key);
      this.inflight.add(key);
      this.batchOf.set(key, batch);
    };
    try {
      const live = await this.dropFailedRoots(keys, done);
      const outcomes = await this.reconcileAll(live);
      await this.commit(live, outcomes, done, batch.id, claim);
    } catch (error) {
      if (error instanceof DiskFullError) {
        this.stallOnFullDisk(error, keys, done);
        return;
      }
      // The append failed (log closed, I/O error): nothing of this batch is durable; try again later.
      this.counters.errors += 1;
      this.hooks.error(wrapIoError(error, 'append to log', this.store.logDir));
      for (const key of keys) {
        const attempts = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempts);
        if (attempts <= WATCH_LIMITS.ingestRetriesMax) this.scheduleRetry(key);
        else done.push(key);
      }
    } finally {
      for (const key of [...keys, ...claimed]) {
        this.inflight.delete(key);
        if (this.batchOf.get(key) === batch) this.batchOf.delete(key);
      }
      markFinished();
      for (const key of done) this.finish(key);
      for (const key of [...this.deferred]) {
        if (this.inflight.has(key)) continue;
        this.deferred.delete(key);
        this.ready.add(key);
      }
    }
  }

  /**
   * Reconciles a batch's paths, a few at a time. A large batch (a scan, a burst) has its files warmed in the page cache
   * ahead of the reads, in this order, by the read-ahead worker: the store reads small files with synchronous calls
   * on this thread, which on a cold cache each waited for the disk while the disk waited for this thread.
   */
  private async reconcileAll(keys: readonly string[]): Promise<Outcome[]> {
    // Only for synchronous reads: with --poll (network mounts) reads go through the thread pool, 32 at a time, and
    // never block this thread; a second read of every file there would only load the mount.
    const warm = this.ctx.syncFileCalls && keys.length >= WATCH_LIMITS.readAheadPathsMin;
    const lane = warm ? this.readAhead.lane(keys.map((key) => this.absolutePathOfKey(key))) : undefined;
    try {
      return await mapLimit(keys, WATCH_LIMITS.ingestConcurrency, (key, index) => {
        const [rootName, path] = splitKey(key);
        return reconcilePath({ ...this.ctx, counters: this.counters, budget: this.budget }, this.roots.get(rootName)!, path).finally(() => lane?.done(index));
      });
    } finally {
      lane?.close();
    }
  }

  private absolutePathOfKey(key: string): string {
    const [rootName, path] = splitKey(key);
    return absolutePathOf(this.roots.get(rootName)!, path);
  }

  /** Drops keys whose root is gone (reporting the root once) and returns the rest. */
  private async dropFailedRoots(keys: string[], done: string[]): Promise<string[]> {
    const checked = new Map<string, boolean>();
    const live: string[] = [];
    for (const key of keys) {
      const root = this.roots.get(splitKey(key)[0]);
      if (root && !root.failed && !checked.has(root.name)) checked.set(root.name, await rootStillThere(root.path));
      if (!root || root.failed || !checked.get(root.name)) {
        if (root && !root.failed) this.failRoot(root);
        done.push(key);
      } else {
        live.push(key);
      }
    }
    return live;
  }

  private failRoot(root: PipelineRoot): void {
    if (root.failed) return;
    root.failed = true;
    const error = new WatchError(`watch root ${root.path} (${root.name}) is gone; its history stays in the log`, {
      root: root.name,
      reason: 'root-missing',
      fix: 'restore or remount the directory and start the watcher again',
    });
    this.counters.errors += 1;
    this.hooks.rootFailed(root, error);
  }

  private async commit(keys: string[], outcomes: Outcome[], done: string[], batchId: number, claim: (key: string) => void): Promise<void> {
    const appeared: Appeared[] = [];
    const vanished: Vanished[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      const key = keys[i]!;
      const [root, path] = splitKey(key);
      this.applyOutcome(key, root, path, outcome, appeared, vanished, done);
    }
    await this.addMissingParents(appeared, vanished, done, batchId);
    this.expandVanishedDirs(vanished, new Set(keys));
    await this.findMoveSources(appeared, vanished, batchId, claim);
    const nowMs = Date.now();
    const { pairs, gone } = pairRenames([...vanished, ...this.held.candidates()], appeared.filter((a) => a.isNew));
    const moved = new Set(pairs.flatMap((p) => [p.gone.key, p.added.key]));
    this.enqueueMovedDescendants(pairs);
    const allDeletes = this.held.settle(gone, pairs.map((p) => p.gone), nowMs, this.releaseUpToMs(nowMs, 1));
    const planned = planRecords(
      pairs,
      appeared.filter((a) => !moved.has(a.key)),
      allDeletes,
      { nowMs, ownerOf: (uid) => this.hooks.ownerOf(uid), eventFor: (key, entry, isNew) => this.eventFor(key, entry, isNew) },
    );
    if (planned.length === 0) return;
    if (this.ctx.stampBasedOn) this.stampBasedOn(planned);
    let stored;
    try {
      stored = await this.store.appendRecords(planned.map((p) => p.record));
    } catch (error) {
      // Held deletes taken into this batch are not among its keys: look at them again later too.
      const inBatch = new Set(keys);
      const fullDisk = error instanceof DiskFullError;
      for (const p of planned) {
        if (fullDisk) this.noteWaiting(p.key, p.record.kind === 'version' && p.record.type === 'file' ? p.record.size : 0);
        if (!inBatch.has(p.key)) this.scheduleRetry(p.key);
      }
      throw error;
    }
    this.resumeAfterFullDisk();
    this.afterDurable(planned, stored.map((s) => s.seq));
    for (const p of planned) done.push(p.key);
  }

  /** Sync (docs/sync.md): each record names the version the folder held at its path when it was recorded. */
  private stampBasedOn(planned: readonly PlannedRecord[]): void {
    for (const p of planned) {
      const before = this.ctx.catalog.latest(p.record.root, p.record.path)?.record.versionId;
      if (before !== undefined && before !== p.record.versionId) p.record.basedOn = before;
    }
  }

  private applyOutcome(key: string, root: string, path: string, outcome: Outcome, appeared: Appeared[], vanished: Vanished[], done: string[]): void {
    switch (outcome.kind) {
      case 'unchanged':
        done.push(key);
        return;
      case 'duplicate':
        this.counters.duplicatesSkipped += 1;
        this.store.statCache.set(root, path, outcome.statKey, outcome.content);
        done.push(key);
        return;
      case 'retry':
      case 'failed': {
        const attempts = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempts);
        if (outcome.kind === 'retry' && attempts <= WATCH_LIMITS.ingestRetriesMax) return this.scheduleRetry(key);
        this.counters.errors += 1;
        this.hooks.error(wrapIoError(outcome.error, 'read', `${root}/${path}`));
        done.push(key);
        return;
      }
      case 'present': {
        const e = outcome.entry;
        this.inodes.set(key, e.ino);
        appeared.push({ key, root, path, type: e.type, ino: e.ino, contentId: hexOf(e.contentId), size: e.size, target: e.target, entry: e, isNew: !outcome.live });
        return;
      }
      case 'gone': {
        const live = outcome.live;
        vanished.push({ key, root, path, type: live.type, ino: this.inodes.get(key), contentId: hexOf(live.contentId), size: live.size, target: live.target });
        return;
      }
    }
  }

  /**
   * A folder is in the log no later than anything inside it (issue 13 item 3). A folder the log has no live version
   * of, and that is not in this batch (its own event waits in a later batch, was lost, or its batch died with a
   * killed process), is looked at now and recorded in this same append: planRecords puts it ahead of its children.
   * Without this a child could be durable while its new folder never was, and a mirror kept the folder after the
   * children were deleted. Ancestors are walked up to the first one known, so a burst costs one lookup per entry.
   */
  private async addMissingParents(appeared: Appeared[], vanished: Vanished[], done: string[], batchId: number): Promise<void> {
    const known = new Set<string>();
    for (const a of appeared) if (a.type === 'dir') known.add(a.key);
    const isLiveDir = (root: string, path: string) => {
      const live = this.ctx.catalog.latest(root, path)?.record;
      return live?.kind === 'version' && live.type === 'dir';
    };
    const missing = new Map<string, { root: string; path: string }>();
    for (const a of appeared) {
      for (let path = parentOf(a.path); path !== ''; path = parentOf(path)) {
        const key = keyOf(a.root, path);
        if (known.has(key) || missing.has(key)) break;
        if (isLiveDir(a.root, path)) {
          known.add(key);
          break;
        }
        missing.set(key, { root: a.root, path });
      }
    }
    if (missing.size === 0) return;
    // A folder an earlier batch is recording (the usual case in a burst: its event came first): wait for that batch
    // rather than record the folder twice. Earlier only: two batches never wait for each other.
    const earlier = new Set<Promise<void>>();
    for (const key of missing.keys()) {
      const other = this.batchOf.get(key);
      if (other && other.id < batchId) earlier.add(other.finished);
    }
    if (earlier.size > 0) await Promise.all(earlier);
    const wanted = [...missing.entries()].filter(([key, { root, path }]) => {
      if (isLiveDir(root, path)) return false;
      // Waiting in this pipeline (settling, queued, retrying): taken into this batch instead.
      this.settle.remove(key);
      this.ready.delete(key);
      this.retries.delete(key);
      return true;
    });
    if (wanted.length === 0) return;
    const outcomes = await mapLimit(wanted, WATCH_LIMITS.ingestConcurrency, ([, { root, path }]) =>
      reconcilePath({ ...this.ctx, counters: this.counters, budget: this.budget }, this.roots.get(root)!, path),
    );
    for (const [i, outcome] of outcomes.entries()) {
      const [key, { root, path }] = wanted[i]!;
      this.applyOutcome(key, root, path, outcome, appeared, vanished, done);
    }
  }

  /**
   * A new file whose content a live file elsewhere in its root has, where that file is now gone from disk, was moved
   * from there, even when nothing has been seen for the old path yet: a move's two events may come far apart under
   * load (the new name's first, read and committed before the old name's arrives), and a scan hands over each as it
   * comes. Without this, pairing depended on how fast this process ran, and a move was sometimes recorded as a
   * create and a delete. Such an old path is taken into this batch as vanished (it is gone: just looked at), so
   * pairRenames pairs it. When it is in another batch: an earlier one is waited for (its outcome is then held, or
   * recorded); a later one cannot be (it may wait for this one), so the new file is looked at again after it.
   * Costs nothing for a new file whose content the log has nowhere else, and one lstat for a copy.
   */
  private async findMoveSources(appeared: Appeared[], vanished: Vanished[], batchId: number, claim: (key: string) => void): Promise<void> {
    const contentOf = (c: { root: string; contentId?: string }) => `${c.root}\0${c.contentId}`;
    // Contents that already have a partner in hand: pairing takes it, as ever.
    const partnered = new Set<string>();
    for (const g of [...vanished, ...this.held.candidates()]) if (g.type === 'file' && g.contentId !== undefined) partnered.add(contentOf(g));
    const inBatch = new Set<string>([...appeared, ...vanished].map((c) => c.key));
    const wanting = new Map<Appeared, { key: string; path: string; live: VersionRecord }[]>();
    for (const a of appeared) {
      if (!a.isNew || a.type !== 'file' || a.contentId === undefined || partnered.has(contentOf(a))) continue;
      const sources = [];
      for (const path of this.hooks.liveFilesWithContent(a.root, a.contentId, MOVE_SOURCE_CANDIDATES_MAX)) {
        const key = keyOf(a.root, path);
        const live = this.ctx.catalog.latest(a.root, path)?.record;
        if (inBatch.has(key) || live?.kind !== 'version' || live.type !== 'file' || live.size !== a.size || hexOf(live.contentId) !== a.contentId) continue;
        sources.push({ key, path, live });
      }
      if (sources.length > 0) wanting.set(a, sources);
    }
    if (wanting.size === 0) return;
    const earlier = new Set<Promise<void>>();
    const lookAgain = new Set<Appeared>();
    for (const [a, sources] of wanting) {
      for (const { key } of sources) {
        const other = this.batchOf.get(key);
        if (!other) continue;
        if (other.id < batchId) earlier.add(other.finished);
        else lookAgain.add(a);
      }
    }
    if (earlier.size > 0) await Promise.all(earlier);
    const taken = new Set<string>();
    for (const [a, sources] of wanting) {
      for (const { key, path, live } of sources) {
        // Held now (an earlier batch found it gone) or recorded: pairRenames sees the held ones.
        if (taken.has(key) || this.held.has(key) || this.inflight.has(key) || this.ctx.catalog.latest(a.root, path)?.record.versionId !== live.versionId) continue;
        if (!(await goneFromDisk(absolutePathOf(this.roots.get(a.root)!, path)))) continue;
        if (this.held.has(key) || this.inflight.has(key)) continue;
        taken.add(key);
        lookAgain.delete(a);
        this.settle.remove(key);
        this.ready.delete(key);
        this.retries.delete(key);
        this.deferred.delete(key);
        claim(key);
        vanished.push({ key, root: a.root, path, type: 'file', ino: this.inodes.get(key), contentId: a.contentId, size: live.size });
        break;
      }
    }
    // Their old path is being looked at by a later batch: this batch leaves them out, and they are read again once
    // it is over (a batch after that one, which waits for it).
    for (const a of lookAgain) {
      appeared.splice(appeared.indexOf(a), 1);
      this.deferred.add(a.key);
    }
  }

  /** A vanished directory takes its live descendants with it, even if their own events were lost. */
  private expandVanishedDirs(vanished: Vanished[], inBatch: Set<string>): void {
    for (const v of vanished) {
      if (v.type !== 'dir') continue;
      for (const path of this.hooks.liveBelow(v.root, v.path)) {
        const key = keyOf(v.root, path);
        if (!inBatch.has(key) && !this.inflight.has(key) && !this.held.has(key)) this.enqueueNow(v.root, path);
      }
    }
  }

  /**
   * A directory moved whole took its descendants along: look at their new paths now (their old paths are held or
   * in this batch), instead of waiting for the event source to list the new directory, which under load can take
   * longer than the rename window.
   */
  private enqueueMovedDescendants(pairs: readonly { gone: Vanished; added: Appeared }[]): void {
    for (const { gone, added } of pairs) {
      if (gone.type !== 'dir') continue;
      for (const path of this.hooks.liveBelow(gone.root, gone.path)) {
        const moved = `${added.path}${path.slice(gone.path.length)}`;
        if (!this.inflight.has(keyOf(added.root, moved))) this.enqueueQuiet(added.root, moved);
      }
    }
  }

  private eventFor(key: string, entry: PresentEntry, isNew: boolean): VersionEvent {
    const plain = isNew ? 'created' : 'modified';
    const expected = this.restores.get(key);
    if (expected === undefined) return plain;
    this.restores.delete(key);
    return hexOf(entry.contentId) === expected ? 'restored' : plain;
  }

  private noteWaiting(key: string, fileBytes: number): void {
    this.stall ??= { sinceMs: Date.now(), failures: 0, announced: false, recovered: false, waiting: new Map() };
    this.stall.waiting.set(key, fileBytes);
  }

  /**
   * The log's disk is full: nothing of this batch was kept. Every path stays pending and is tried again with backoff
   * (never counted against ingestRetriesMax, never dropped); the first refusal of an episode is reported once. A
   * stopping or one-shot pipeline cannot wait for space: it lets the paths go, counted in `notRecorded` (the next
   * start's scan finds them on disk).
   */
  private stallOnFullDisk(error: DiskFullError, keys: readonly string[], done: string[]): void {
    for (const key of keys) if (!this.stall?.waiting.has(key)) this.noteWaiting(key, 0);
    const stall = this.stall!;
    stall.failures += 1;
    stall.recovered = false;
    if (!stall.announced) {
      stall.announced = true;
      let fileBytes = 0;
      for (const bytes of stall.waiting.values()) fileBytes += bytes;
      this.counters.errors += 1;
      this.hooks.diskFull(error, { paths: stall.waiting.size, fileBytes });
    }
    if (this.forced) {
      for (const key of keys) {
        stall.waiting.delete(key);
        this.counters.notRecorded += 1;
        done.push(key);
      }
      return;
    }
    const backoffMs = Math.min(WATCH_LIMITS.diskFullRetryDelayMsMax, WATCH_LIMITS.diskFullRetryDelayMsBase * 2 ** (stall.failures - 1));
    const dueMs = Date.now() + backoffMs * (0.75 + Math.random() * 0.5);
    for (const key of keys) this.retries.set(key, dueMs);
  }

  /** An append went through during a full-disk episode: there is room again, so try every waiting path now. */
  private resumeAfterFullDisk(): void {
    const stall = this.stall;
    if (!stall || stall.failures === 0) return; // none, or noted by a failing batch whose refusal is not handled yet
    stall.recovered = true;
    stall.failures = 0;
    const nowMs = Date.now();
    for (const key of stall.waiting.keys()) if (this.retries.has(key)) this.retries.set(key, nowMs);
  }

  /** The episode ends once every path it held up is done, after an append went through: said once. */
  private endStallIfDone(key: string): void {
    const stall = this.stall;
    if (!stall) return;
    stall.waiting.delete(key);
    if (stall.waiting.size > 0 || !stall.recovered) return;
    this.stall = undefined;
    if (stall.announced) this.hooks.resumed(Date.now() - stall.sinceMs);
  }

  private scheduleRetry(key: string): void {
    const attempts = this.attempts.get(key) ?? 1;
    this.attempts.set(key, attempts);
    const delayMs = Math.min(WATCH_LIMITS.ingestRetryDelayMsMax, WATCH_LIMITS.ingestRetryDelayMsBase * 2 ** (attempts - 1));
    this.retries.set(key, Date.now() + delayMs);
  }

  private afterDurable(planned: PlannedRecord[], seqs: number[]): void {
    const changes: WatcherChange[] = [];
    for (const [i, p] of planned.entries()) {
      const r = p.record;
      const [root, path] = [r.root, r.path];
      if (r.kind === 'version' && r.type === 'file' && p.entry?.statKey && r.contentId && r.chunks) {
        this.store.statCache.set(root, path, p.entry.statKey, { contentId: r.contentId, chunks: r.chunks, size: r.size });
      }
      if (r.kind === 'delete') {
        this.store.statCache.delete(root, path);
        this.inodes.delete(p.key);
      }
      if (r.kind === 'version') this.counters.versions += 1;
      if (p.moveSource) continue;
      const counter = p.change === 'restored' ? 'modified' : p.change;
      this.counters[counter] += 1;
      changes.push(changeOf(p, seqs[i]!));
    }
    this.hooks.committed(changes, { count: planned.length, lastSeq: Math.max(...seqs) });
  }
}

/**
 * Node gives a name that is not valid UTF-8 with U+FFFD in place of the bad bytes, and no call can reach the file by
 * that name: looked at, it would seem gone, and its changes would be missed without a word. A name with U+FFFD that
 * does not exist as spelled is such a name (a real U+FFFD in a name exists as spelled): refused, with its bytes shown.
 */
function checkNameDecodes(rootPath: string | undefined, root: string, path: string): void {
  if (rootPath === undefined) return;
  const abs = join(rootPath, path);
  try {
    lstatSync(abs);
    return;
  } catch {
    // Not there as spelled: find the raw name among the parent's entries (bytes) to show it.
  }
  let shown = `${root}/${path}`;
  try {
    const lossy = path.slice(path.lastIndexOf('/') + 1);
    const raw = readdirSync(dirname(abs), { encoding: 'buffer' }).find((name) => name.toString('utf8') === lossy);
    if (raw === undefined) return; // gone meanwhile: nothing to refuse
    const parent = path.includes('/') ? `${root}/${path.slice(0, path.lastIndexOf('/'))}` : root;
    shown = `${displayName(parent)}/${displayName(new Uint8Array(raw))}`;
  } catch {
    return; // the folder went away: the path is simply gone
  }
  throw new UnsafePathError(`cannot record ${shown}: its name is not valid UTF-8, which the log cannot hold; rename it to record it`, {
    path,
    reason: 'not-utf8',
  });
}

/** 'a/b/c' → 'a/b'; 'a' → '' (the root). */
function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

/** Live files with a new file's content that are checked for being its move's old path (a few copies at most). */
const MOVE_SOURCE_CANDIDATES_MAX = 8;

/** True when nothing is at `path` now (it, or a folder above it, is gone); false when something is or it cannot tell. */
async function goneFromDisk(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

async function rootStillThere(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}
