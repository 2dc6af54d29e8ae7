// One receiver run against one destination: takes the destination lock, reads the cursor, applies records from a
// ReceiverSource in log order (concurrently where paths do not overlap), and saves the cursor after the data.
// Commit order (docs/receiver.md "Crash safety"): every file's data is durable before its rename (one `sync -f` per
// batch of files, durable-batch.ts, or an fsync each where `sync -f` is missing); at a commit the changed
// directories are made durable, then the manifest (all-versions), then the cursor is written atomically. Before the
// receiver applies a record past `reservedUntilSeq` it saves a cursor reserving the next window, so after a crash
// it knows which records may already be (partly) applied: the replay window, where temp files are swept and its own
// later links may be replaced.
// Catching up in `latest` mode, records a later record supersedes (catch-up-plan.ts) are passed over, not applied:
// the cursor may pass them, since what supersedes them comes later and is applied (or itself superseded) in turn.
// With skipDamaged (asked for by the user, never by default), a version whose content is not intact is passed over
// as complete and reported, and so are the damaged regions the reader went past: the cursor may then move past them.
// Never does: save a cursor past a record that is running or failed; skip a record it could not apply (unless
// skipDamaged, and then only for damaged content: any other failure still stops the session).
import { mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CorruptionError, UsageError, wrapIoError } from '../errors.js';
import { displayPath, type EntryRecord } from '../record/index.js';
import type { StoredRecord } from '../store/types.js';
import { RECEIVER_LIMITS } from '../util/limits.js';
import { applyAllVersions } from './apply-all-versions.js';
import { applyLatest, changeOf, whereOf, type Applied, type ApplyContext } from './apply-latest.js';
import { collectPlanRecords, planCatchUp, type CatchUpPlan } from './catch-up-plan.js';
import type { ApplyScheduler } from './apply-scheduler.js';
import { contentProvider, type ContentWriterPool } from './content-writer-pool.js';
import { checkCursorFits, lockDestination, readCursor, writeCursor, type ReceiverCursor } from './cursor.js';
import { DestinationPaths, RECEIVER_STATE_DIR, topNameInside } from './destination-path.js';
import { Destination, sweepTemps } from './destination.js';
import { scheduleWithBatch, type DurableBatch } from './durable-batch.js';
import { FilesystemSync } from './filesystem-sync.js';
import { Manifest } from './manifest.js';
import type { ReceiverEventMap, ReceiverMode, ReceiverSource, ReceiverSummary } from './types.js';

export type Emit = <K extends keyof ReceiverEventMap>(event: K, ...args: ReceiverEventMap[K]) => void;

export interface SessionOptions {
  source: ReceiverSource;
  outputPath: string;
  /** The log's directory (identity saved in the cursor). */
  logDir: string;
  /** Seq after the log's last record, when the source knows it (a saved cursor past it does not fit). */
  headSeq?: number;
  mode: ReceiverMode;
  concurrency: number;
  /** Pass over versions whose content is not intact (reported, counted as complete); see ReceiverOptions. */
  skipDamaged?: boolean;
  emit: Emit;
  /** True while someone listens for 'applied' (building each change costs time a catch-up need not spend). */
  reportsChanges(): boolean;
  /**
   * Content-writer threads started by the caller before opening (they boot while the log and the destination open);
   * the session owns them from then on and closes them. Without (or for a source that cannot locate chunks), files
   * are read and written on the main thread.
   */
  writers?: ContentWriterPool;
}

/** A launched record waiting for its turn to be reported (in log order), with what applying it did once done. */
interface ReportSlot {
  stored: StoredRecord<EntryRecord>;
  applied?: Applied;
  /** Not applied (unreadable content, skipDamaged): nothing to report, but the slot no longer holds the line. */
  passed?: true;
}

type SavedCursor = Pick<ReceiverCursor, 'nextSeq' | 'reservedUntilSeq' | 'manifestBytes'>;

const PROGRESS_INTERVAL_MS = 200;

export class ReceiverSession {
  private readonly scheduler: ApplyScheduler;
  private readonly dest: Destination;
  private readonly batch: DurableBatch | undefined;
  private readonly ctx: ApplyContext;
  /** Content-writer threads, when the source can locate chunks. */
  private readonly writers: ContentWriterPool | undefined;
  private scannedUpTo: number;
  private reservedUntil: number;
  private sinceCommit = 0;
  private commitChain: Promise<void> = Promise.resolve();
  private lastProgressMs = 0;
  /** How many of the source's skipped regions noteSkipped has looked at. */
  private skippedSeen = 0;
  private readonly summary: ReceiverSummary;
  /**
   * Launched records in log order, each with its change once applied: 'applied' events leave in log order even
   * though records on different paths finish in any order (a rename's delete before its write, as in the log).
   */
  private readonly unreported: ReportSlot[] = [];

  private constructor(
    private readonly options: SessionOptions,
    private readonly stateDir: string,
    root: string,
    /** Undefined where `sync -f` does not work: then every file is fsynced on its own. */
    private readonly syncer: FilesystemSync | undefined,
    paths: DestinationPaths,
    private readonly manifest: Manifest | undefined,
    private saved: SavedCursor,
    /** Records below this may have been applied before a crash (the replay window's end). */
    private replayEndSeq: number,
    private hasCursor: boolean,
    private readonly unlock: () => Promise<void>,
  ) {
    this.writers = options.writers;
    ({ scheduler: this.scheduler, batch: this.batch } = scheduleWithBatch(options.concurrency, syncer));
    this.dest = new Destination(root, this.batch);
    this.scannedUpTo = saved.nextSeq;
    this.reservedUntil = saved.reservedUntilSeq;
    this.ctx = { dest: this.dest, paths, content: contentProvider(options.source, this.writers), warn: (w) => this.onWarning(w) };
    this.summary = { mode: options.mode, fromSeq: saved.nextSeq, nextSeq: saved.nextSeq, changes: 0, files: 0, dirs: 0, symlinks: 0, deletes: 0, superseded: 0, bytes: 0, skippedSymlinks: 0, skipped: [], unreadable: [], durationMs: 0 };
  }

  /** Opens (creating) the destination, takes its lock, checks the cursor fits this mode and log. */
  static async open(options: SessionOptions): Promise<ReceiverSession> {
    const wanted = resolve(options.outputPath);
    let root: string;
    try {
      await mkdir(wanted, { recursive: true });
      root = await realpath(wanted);
    } catch (error) {
      throw wrapIoError(error, 'open destination', wanted);
    }
    // A remote log (src/net) is named by its id, not a path: no part of it can be inside the destination.
    const localLog = isAbsolute(options.logDir);
    if (localLog && (root === options.logDir || topNameInside(options.logDir, root) !== undefined)) {
      throw new UsageError(`the destination ${root} is inside the log ${options.logDir}`, { dest: root, log: options.logDir, fix: 'choose an --out folder outside the log directory' });
    }
    const stateDir = join(root, RECEIVER_STATE_DIR);
    // Started beside the lock and the cursor read: its first `sync -f` (the check that it works) is off the path.
    const syncerStarted = FilesystemSync.start(root);
    let unlock: () => Promise<void>;
    try {
      unlock = await lockDestination(stateDir);
    } catch (error) {
      (await syncerStarted)?.close();
      throw error;
    }
    try {
      await sweepTemps(stateDir); // a cursor temp left by a kill mid-save
      const cursor = await readCursor(stateDir);
      if (cursor) checkCursorFits(cursor, options.mode, options.logDir, root, options.headSeq);
      const saved: SavedCursor = cursor ?? { nextSeq: 0, reservedUntilSeq: 0, manifestBytes: 0 };
      const manifest = options.mode === 'all-versions' ? await Manifest.open(stateDir, saved.manifestBytes) : undefined;
      const logTop = localLog ? topNameInside(root, options.logDir) : undefined;
      const paths = new DestinationPaths(root, logTop ? [logTop] : []);
      const syncer = await syncerStarted;
      return new ReceiverSession(options, stateDir, root, syncer, paths, manifest, saved, saved.reservedUntilSeq, cursor !== undefined, unlock);
    } catch (error) {
      (await syncerStarted)?.close();
      await unlock();
      throw error;
    }
  }

  get root(): string {
    return this.dest.root;
  }

  get nextSeq(): number {
    return this.saved.nextSeq;
  }

  /**
   * Applies records from the saved cursor on: up to the end (follow false) or until `signal` aborts (follow true).
   * Resolves with the counts once everything applied is durable and the cursor saved; on error saves the cursor
   * for what did complete and rejects.
   */
  async run(options: { follow: boolean; signal?: AbortSignal; endSeq?: number }): Promise<ReceiverSummary> {
    const started = performance.now();
    // Saved by time too, so a kill during a long catch-up redoes at most commitIntervalMs of work (plus what was in flight).
    const timer = setInterval(() => void this.commit(false).catch(() => {}), RECEIVER_LIMITS.commitIntervalMs);
    try {
      const { plan, kept } = await this.plan(options.follow, options.signal);
      const records = this.keptThenRead(kept, options.follow, options.signal);
      for await (const stored of this.closingBatchesWhenIdle(records, options.follow)) {
        if (options.signal?.aborted) break;
        // A superseded record is complete without being applied: the later record that supersedes it is after it,
        // so a cursor saved past it still has that one ahead (docs/receiver.md "Catch-up"). Not inside the replay
        // window: a record there may have left a temp file before a crash, which only its own replay sweeps.
        if (plan?.isSuperseded(stored.seq) && stored.seq >= this.replayEndSeq) this.summary.superseded++;
        else await this.launch(stored);
        this.scannedUpTo = stored.seq + 1;
        this.noteSkipped();
        this.progress(options.endSeq);
        if (++this.sinceCommit >= RECEIVER_LIMITS.commitRecordsMax) await this.commit(false);
      }
      await this.scheduler.drain();
      this.noteSkipped();
    } catch (error) {
      await this.scheduler.settle();
      await this.commit(false).catch(() => {});
      throw error;
    } finally {
      clearInterval(timer);
    }
    await this.commit(true);
    this.summary.nextSeq = this.saved.nextSeq;
    this.summary.durationMs = performance.now() - started;
    this.progress(options.endSeq, true);
    return { ...this.summary, skipped: [...this.summary.skipped], unreadable: [...this.summary.unreadable] };
  }

  /**
   * skipDamaged: reports each damaged region the reader went past since the last look (once each, in order met).
   * A region wholly before the cursor this session started from is not reported: the reader only scanned over it
   * on its way to the cursor, and the run that moved the cursor past it reported it (verify names it any time).
   */
  private noteSkipped(): void {
    if (!this.options.skipDamaged) return;
    const all = this.options.source.skipped?.() ?? [];
    for (const region of all.slice(this.skippedSeen)) {
      this.skippedSeen++;
      if (region.seqTo !== undefined && region.seqTo < this.summary.fromSeq) continue;
      this.summary.skipped.push(region);
      this.options.emit('skipped', region);
    }
  }

  /**
   * The catch-up plan (latest mode, not following): which records up to the head seen now are superseded. Only
   * version and delete headers are read for it (chunk records are skipped by tag, never decoded), and the chunk
   * records passed on the way are noted where they lie (`trackChunks`: a file's chunks come right before its
   * version). The records read are kept (up to RECEIVER_LIMITS.catchUpKeptBytesMax) for the apply pass, so the
   * backlog is read once. A follower's live records are never planned: once caught up, each change is applied in
   * order.
   */
  private async plan(follow: boolean, signal: AbortSignal | undefined): Promise<{ plan?: CatchUpPlan; kept: StoredRecord[] }> {
    if (follow || this.options.mode !== 'latest') return { kept: [] };
    const reading = this.options.source.entries({ fromSeq: this.scannedUpTo, kinds: ['version', 'delete'], follow: false, signal, trackChunks: true });
    const collected = await collectPlanRecords(reading, RECEIVER_LIMITS.catchUpKeptBytesMax);
    return { plan: planCatchUp(collected.records), kept: collected.kept };
  }

  /** The records to apply: those the plan kept (in order, from the cursor on), then the source's, read after them. */
  private async *keptThenRead(kept: readonly StoredRecord[], follow: boolean, signal: AbortSignal | undefined): AsyncGenerator<StoredRecord> {
    let fromSeq = this.scannedUpTo;
    for (const stored of kept) {
      yield stored;
      fromSeq = stored.seq + 1;
    }
    yield* this.options.source.entries({ fromSeq, kinds: ['version', 'delete'], follow, signal, trackChunks: true });
  }

  /**
   * Following: while the reader waits for the log (it has nothing more ready), the batch is eager, so writes in
   * flight do not wait for a full batch, and a trickle of records is fsynced file by file: live lag stays one write
   * plus one fsync, as before batching. Catching up, batches close at
   * their limits (or when a record needs a path a parked write holds, or at the end).
   */
  private async *closingBatchesWhenIdle(records: AsyncIterable<StoredRecord>, follow: boolean): AsyncGenerator<StoredRecord> {
    const batch = this.batch;
    if (!follow || !batch) return yield* records;
    const iterator = records[Symbol.asyncIterator]();
    let sinceIdle = 0;
    try {
      for (;;) {
        // Still waiting after one turn of the event loop: the read is waiting for the log, not for a buffer.
        const idle = setImmediate(() => {
          sinceIdle = 0;
          batch.setEager(true);
        });
        let step: IteratorResult<StoredRecord>;
        try {
          step = await iterator.next();
        } finally {
          clearImmediate(idle);
          batch.setEager(false);
        }
        if (step.done) return;
        // A burst (more records in a row than are applied at once) is batched; a trickle is synced file by file.
        batch.trickle = ++sinceIdle <= this.options.concurrency;
        yield step.value;
      }
    } finally {
      batch.trickle = false;
      await iterator.return?.();
    }
  }

  /** Resolves once the content-writer threads (if any) have started: see ContentWriterPool.ready. */
  async writersReady(): Promise<void> {
    await this.writers?.ready();
  }

  async close(): Promise<void> {
    await this.writers?.close();
    this.syncer?.close();
    await this.manifest?.close();
    await this.unlock();
  }

  private async launch(stored: StoredRecord): Promise<void> {
    const record = stored.record;
    if (record.kind !== 'version' && record.kind !== 'delete') return;
    if (stored.seq >= this.reservedUntil) {
      this.reservedUntil = stored.seq + RECEIVER_LIMITS.replayWindowRecords;
      await this.commit(false);
    }
    const replay = stored.seq < this.replayEndSeq;
    if (!replay && this.replayEndSeq > 0) {
      // Leaving the replay window: finish it first so its temp sweeps never meet a write made outside it.
      await this.scheduler.drain();
      this.replayEndSeq = 0;
    }
    const entry = stored as StoredRecord<EntryRecord>;
    // Changes are reported in log order, so each launched record holds a place in line; with no listener, none do.
    const slot: ReportSlot | undefined = this.options.reportsChanges() ? { stored: entry } : undefined;
    if (slot) this.unreported.push(slot);
    await this.scheduler.launch(stored.seq, `${record.root}/${record.path}`, () => this.applyOne(entry, replay, slot));
  }

  private async applyOne(stored: StoredRecord<EntryRecord>, replay: boolean, slot: ReportSlot | undefined): Promise<void> {
    let applied: Applied;
    try {
      if (this.manifest) {
        const result = await applyAllVersions(this.ctx, stored, replay);
        this.manifest.add(result.line);
        applied = result.applied;
      } else {
        applied = await applyLatest(this.ctx, stored, replay);
      }
    } catch (error) {
      // Damaged content costs only its own version when asked to go on: its atomic write was dropped (never a file
      // with wrong bytes), it gets no manifest line, and the record counts as complete so the cursor can pass it.
      if (!this.options.skipDamaged || !(error instanceof CorruptionError) || stored.record.kind !== 'version') throw error;
      this.passUnreadable(stored, error, slot);
      return;
    }
    this.count(applied);
    if (slot) {
      slot.applied = applied;
      this.report();
    }
  }

  private passUnreadable(stored: StoredRecord<EntryRecord>, error: CorruptionError, slot: ReportSlot | undefined): void {
    const unreadable = { ...whereOf(stored), path: displayPath(stored.record), versionId: stored.record.versionId, reason: error.message };
    this.summary.unreadable.push(unreadable);
    this.options.emit('unreadable', unreadable);
    if (slot) {
      slot.passed = true;
      this.report();
    }
  }

  /** Emits 'applied' for the finished records at the head of the launch order (a failed one holds the rest back). */
  private report(): void {
    while (this.unreported.length > 0 && (this.unreported[0]!.applied !== undefined || this.unreported[0]!.passed)) {
      const { stored, applied } = this.unreported.shift()!;
      if (!applied) continue;
      const change = changeOf(stored, applied.action, applied.bytes);
      if (applied.versionFile) change.versionFile = applied.versionFile;
      this.options.emit('applied', change);
    }
  }

  private count(change: Applied): void {
    const s = this.summary;
    s.changes++;
    s.bytes += change.bytes;
    if (change.action === 'write') s.files++;
    else if (change.action === 'mkdir') s.dirs++;
    else if (change.action === 'symlink') s.symlinks++;
    else if (change.action === 'delete') s.deletes++;
  }

  private onWarning(warning: Parameters<ApplyContext['warn']>[0]): void {
    this.summary.skippedSymlinks++;
    this.options.emit('warning', warning);
  }

  private progress(endSeq: number | undefined, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastProgressMs < PROGRESS_INTERVAL_MS) return;
    this.lastProgressMs = now;
    this.options.emit('progress', { nextSeq: this.scannedUpTo, endSeq, changes: this.summary.changes, bytes: this.summary.bytes });
  }

  /** Saves the cursor for the completed prefix (serialised: commits never overlap). `clean`: empty replay window. */
  private commit(clean: boolean): Promise<void> {
    const next = this.commitChain.then(() => this.saveCursor(clean));
    this.commitChain = next.catch(() => {});
    return next;
  }

  private async saveCursor(clean: boolean): Promise<void> {
    const nextSeq = this.scheduler.completedBelow(this.scannedUpTo);
    const reservedUntilSeq = clean ? nextSeq : Math.max(this.reservedUntil, nextSeq);
    const unchanged = nextSeq === this.saved.nextSeq && reservedUntilSeq === this.saved.reservedUntilSeq;
    // A destination always gets a cursor on its first run, even from an empty log: it fixes the mode and the log.
    if (unchanged && this.hasCursor) return;
    await this.dest.syncDirs();
    const manifestBytes = this.manifest ? await this.manifest.flush(nextSeq) : 0;
    const saved = { nextSeq, reservedUntilSeq, manifestBytes };
    await writeCursor(this.stateDir, { mode: this.options.mode, logDir: this.options.logDir, ...saved });
    this.saved = saved;
    this.hasCursor = true;
    if (clean) this.reservedUntil = nextSeq;
    this.sinceCommit = 0;
  }
}
