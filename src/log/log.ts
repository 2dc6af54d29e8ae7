// The log's public face (docs/format.md is the authority on its bytes): Log.open takes the writer lock, cuts a
// torn tail and starts the group-commit writer; a read-only Log takes no lock and never writes. Thin and validated
// over segment-writer (appends), log-reader (read/follow), segment-file (readAt) and recover (open).
// Invariant: one writer per directory (LOCK); every promise an append returns resolves only once its records are
// durable; errors that leave here carry the public operation name.
import { EventEmitter } from 'node:events';
import { mkdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ClosedError, NotFoundError, SynclogError, UsageError, wrapIoError } from '../errors.js';
import { LIMITS, LOG_LIMITS } from '../util/limits.js';
import { BufferPool } from '../util/buffer-pool.js';
import { uninitializedBytes, unzeroedCopy } from '../util/uninitialized-bytes.js';
import { initChecksum } from './checksum.js';
import { FORMAT_VERSION, FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './format.js';
import { rewriteSegments, type RewriteOptions, type RewrittenSegment, type SegmentRewritePlan } from './segment-rewrite.js';
import { ChangeSignal } from './follow.js';
import { acquireLock, type LogLock } from './lock.js';
import { readLog } from './log-reader.js';
import { FrameMaps } from './frame-map.js';
import { checkPosition, frameHeaderAt, framePayloadAt } from './read-at-position.js';
import { planReadRuns, READ_RUN_BYTES_MAX, recordInRun, type ReadRun } from './read-runs.js';
import { recoverForWrite } from './recover.js';
import { checkLogDir, ensureLogMarker } from './log-dir.js';
import { readReplicaMarker } from './replica-marker.js';
import { REAL_LOG_FILE_SYSTEM, type LogFileSystem } from './log-fs.js';
import { countRecords, countSegmentRecords, type CountedFrames } from './segment-count.js';
import { TailViews } from './tail-views.js';
import { listSegments, openSegment, readAtMost, type OpenSegment } from './segment-file.js';
import { SegmentWriter } from './segment-writer.js';
import { readWatermark, WatermarkGate, WatermarkWriter } from './watermark.js';
import type { AppendInput, HintedPosition, LogEntry, LogOptions, ReadOptions, RecordPosition, RecordReadResult, RecoveryReport, SegmentInfo, SkippedRegion } from './types.js';

/** Whether an open handle is still the file at `path` (a prune renames a new file over a segment). */
async function sameFile(handle: FileHandle, path: string): Promise<boolean> {
  const [open, now] = await Promise.all([handle.stat(), stat(path).catch(() => undefined)]);
  return now !== undefined && open.ino === now.ino && open.dev === now.dev;
}

function positionError(position: { segment: string; offset: number }): boolean {
  try {
    checkPosition(position);
    return false;
  } catch {
    return true;
  }
}

function watermarkFloor(dir: string): number | undefined {
  const published = readWatermark(dir);
  return typeof published === 'number' ? published : undefined;
}

export const LOG_EVENTS = { durable: 'durable', close: 'close' } as const;

export interface LogEventMap {
  /** Every record with seq below `nextDurableSeq` is durable. */
  durable: [nextDurableSeq: number];
  close: [];
}

function stamp<T>(operation: string, promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    if (error instanceof SynclogError && error.operation === undefined) error.operation = operation;
    throw error;
  });
}

export class Log extends EventEmitter<LogEventMap> {
  private closed = false;
  private readonly changes: ChangeSignal;
  private readonly handles = new Map<string, Promise<OpenSegment>>();
  private readonly readOnlyNextSeq: number;
  /** Damaged regions reads went past (skipDamaged), each once, in the order first met. */
  private readonly skippedByPlace = new Map<string, SkippedRegion>();
  /** Frames this Log's readers verified and found durable, passed by when another read meets them (frame-map.ts). */
  private readonly frameMaps = new FrameMaps(LOG_LIMITS.frameMapFramesMax);
  /**
   * readManyAt's run buffers, reused (a call's records are copied out of its buffer before it is given back). Why: a
   * server allocated every byte it sent twice, the run's own buffer and then the copy it keeps for other followers,
   * and that allocation started most of its major collections (a 400 MB catch-up: 516 → 257 MB allocated, 26 → 16
   * major collections, its GC threads' CPU down by a fifth).
   */
  private readonly runBuffers = new BufferPool(READ_RUN_BYTES_MAX, LOG_LIMITS.readRunBuffersPooledMax);
  /** Set for a read-only Log (another process writes): its followers share what they read of the directory. */
  private readonly tailViews: TailViews | undefined;
  private skipDamaged = false;

  private constructor(
    readonly dir: string,
    readonly readOnly: boolean,
    readonly recovery: RecoveryReport | undefined,
    private readonly writer: SegmentWriter | undefined,
    private readonly lock: LogLock | undefined,
    nextSeq: number,
    private readonly watermark?: WatermarkWriter,
    private readonly fileSystem: LogFileSystem = REAL_LOG_FILE_SYSTEM,
  ) {
    super();
    this.readOnlyNextSeq = nextSeq;
    this.changes = new ChangeSignal(dir, readOnly);
    this.tailViews = readOnly ? new TailViews(dir, this.changes, () => watermarkFloor(dir)) : undefined;
  }

  /**
   * Opens the log in `dir`. A writer (default) creates it if missing (unless create: false), takes the lock
   * (LockedError names the holder), cuts a torn tail (see `recovery`) and refuses mid-log damage in the newest
   * segment with CorruptionError. readOnly takes no lock and writes nothing.
   */
  static open(dir: string, options: LogOptions = {}): Promise<Log> {
    return stamp('Log.open', Log.openInner(dir, options));
  }

  private static async openInner(dir: string, options: LogOptions): Promise<Log> {
    await initChecksum();
    const segmentBytesMax = options.segmentBytesMax ?? LIMITS.segmentBytesDefault;
    if (!Number.isSafeInteger(segmentBytesMax) || segmentBytesMax <= SEGMENT_HEADER_BYTES) {
      throw new UsageError(`segmentBytesMax must be an integer above ${SEGMENT_HEADER_BYTES}`);
    }
    const fs = options.fileSystem ?? REAL_LOG_FILE_SYSTEM;
    // The one place a directory is judged a log (log-dir.ts): readers need one, a writer may create one only in a
    // missing or empty directory.
    const kind = await checkLogDir(dir, options.readOnly ? 'read' : 'write');
    if (options.readOnly) {
      const walked: CountedFrames[] = [];
      const visible = await new WatermarkGate(dir).visibleRecords(await countRecords(dir, { into: walked, framesMax: LOG_LIMITS.frameMapFramesMax }));
      const log = new Log(dir, true, undefined, undefined, undefined, visible);
      log.noteCounted(walked, visible);
      log.skipDamaged = options.skipDamaged === true;
      return log;
    }
    // Writing past damage is never allowed: the writer refuses mid-log damage (recover.ts).
    if (options.skipDamaged) throw new UsageError('skipDamaged is for read-only logs: a writer never writes past damage');
    if (kind === 'missing') {
      if (options.create === false) throw new NotFoundError(`no log at ${dir}`, { what: 'log', id: dir });
      await mkdir(dir, { recursive: true }).catch((error: unknown) => {
        throw wrapIoError(error, 'create log directory', dir);
      });
      await fs.syncDir(dirname(dir));
    }
    const lock = await acquireLock(dir);
    try {
      const replicaOf = await readReplicaMarker(dir);
      if (replicaOf && !options.replica) {
        throw new UsageError(`${dir} is a replica of ${replicaOf.sourceUrl} (log ${replicaOf.sourceLogId}): only synclog replicate writes to it`, {
          log: dir,
          fix: 'record into another log; a replica can be read, served and received from',
        });
      }
      if (options.create === false && (await listSegments(dir)).length === 0) throw new NotFoundError(`no log at ${dir}`, { what: 'log', id: dir });
      const recovered = await recoverForWrite(dir, fs);
      // What a previous writer left may not have reached its fdatasync (it was killed first): make it durable before
      // the watermark says so.
      await fs.datasync(recovered.segment.handle, recovered.segment.ref.path).catch((error: unknown) => {
        throw wrapIoError(error, 'fsync newest segment', recovered.segment.ref.path);
      });
      // Nor its directory fsync: a writer killed between a new segment's rename and that fsync leaves a segment whose
      // name a power cut can still take away, with every record appended to it since (found by the power-cut harness).
      // So the directory is fsynced before anything is appended: the newest segment and the index files recovery
      // wrote become durable names.
      await fs.syncDir(dir);
      await ensureLogMarker(dir, fs);
      const watermark = await WatermarkWriter.open(dir, fs);
      watermark.publish(recovered.nextSeq);
      await watermark.sync();
      let log: Log | undefined;
      const writer = new SegmentWriter(
        dir,
        recovered.segment,
        recovered.nextSeq,
        { segmentBytesMax, groupCommitDelayMs: options.groupCommitDelayMs ?? 0, fileSystem: fs },
        (nextDurableSeq) => log?.onDurable(nextDurableSeq),
        () => watermark.sync(),
      );
      log = new Log(dir, false, recovered.recovery, writer, lock, recovered.nextSeq, watermark, fs);
      return log;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private onDurable(nextDurableSeq: number): void {
    this.watermark?.publish(nextDurableSeq);
    this.changes.bump();
    this.emit(LOG_EVENTS.durable, nextDurableSeq);
  }

  /** The seq the next append will get (a read-only Log: the end of the log when it was opened). */
  get nextSeq(): number {
    return this.writer ? this.writer.nextSeq + this.writer.pendingRecords : this.readOnlyNextSeq;
  }

  /** Every record below this seq is durable (writers); for a read-only Log, the end when opened. */
  get nextDurableSeq(): number {
    return this.writer ? this.writer.nextSeq : this.readOnlyNextSeq;
  }

  private usableWriter(operation: string): SegmentWriter {
    if (this.closed) throw new ClosedError('the log is closed');
    if (!this.writer) throw new UsageError(`${operation} needs a writer: this log was opened read-only`);
    return this.writer;
  }

  /** Runs `body` with the writer; a missing or closed writer rejects (no throw), errors carry `operation`. */
  private withWriter<T>(operation: string, name: string, body: (writer: SegmentWriter) => Promise<T>): Promise<T> {
    let writer: SegmentWriter;
    try {
      writer = this.usableWriter(name);
    } catch (error) {
      return stamp(operation, Promise.reject(error));
    }
    return stamp(operation, body(writer));
  }

  /**
   * Appends one record; resolves with its position once it is durable (it shares an fsync with its neighbours).
   * For every append: a payload is written to disk from the caller's buffers, so it must not change until the
   * promise settles.
   */
  append(input: AppendInput): Promise<RecordPosition> {
    return this.withWriter('Log.append', 'append', (w) => w.append([input]).then((positions) => positions[0]!));
  }

  /** Appends records with contiguous seqs, durable together (one commit). */
  appendMany(inputs: readonly AppendInput[]): Promise<RecordPosition[]> {
    return this.withWriter('Log.appendMany', 'appendMany', (w) => w.append(inputs));
  }

  /**
   * Appends a group all-or-nothing: no reader sees any of it until all of it is durable; on error (the iterable
   * throws, a record is too large, or the disk fails) the writer cuts what it wrote and nothing remains. Other
   * appends wait meanwhile. A group never spans segments. Each payload the iterable yields must stay unchanged until
   * the promise settles (an iterable that reuses one buffer must yield copies).
   */
  appendAtomic(inputs: AsyncIterable<AppendInput> | Iterable<AppendInput>): Promise<RecordPosition[]> {
    return this.withWriter('Log.appendAtomic', 'appendAtomic', (w) => w.appendAtomic(inputs));
  }

  /**
   * Seals the newest segment once everything appended before is durable and starts a new one in `formatVersion`
   * (a prune seals everything it may rewrite). A segment without records is replaced only when its version
   * differs. Later rollovers keep the new segment's version.
   */
  rollOver(formatVersion: number = FORMAT_VERSION): Promise<void> {
    return this.withWriter('Log.rollOver', 'rollOver', (w) => w.rollOver(formatVersion, true));
  }

  /**
   * Makes the segment the next append goes to one of `formatVersion`, rolling over only if the newest has another
   * (retention writes version 3: docs/format.md "Retention"). Later rollovers keep that version.
   */
  useFormatVersion(formatVersion: number): Promise<void> {
    return this.withWriter('Log.useFormatVersion', 'useFormatVersion', (w) => w.rollOver(formatVersion, false));
  }

  /**
   * Rewrites sealed segments without the planned seqs, each replaced by a `placeholderTag` frame, and commits them
   * as one prune (segment-rewrite.ts; docs/format.md "Prune commit"). Every kept record keeps its seq and bytes.
   * Positions (segment, offset) read before it no longer hold for the rewritten segments.
   */
  rewriteSealed(plans: readonly SegmentRewritePlan[], options: Omit<RewriteOptions, 'fs'>): Promise<RewrittenSegment[]> {
    return this.withWriter('Log.rewriteSealed', 'rewriteSealed', async () => {
      await this.dropHandles();
      return rewriteSegments(this.dir, plans, { ...options, fs: this.fileSystem });
    });
  }

  private async dropHandles(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((p) => p.then((s: { handle: FileHandle }) => s.handle.close()).catch(() => {})));
  }

  /** Resolves once everything appended so far is durable. */
  sync(): Promise<void> {
    return this.withWriter('Log.sync', 'sync', (w) => w.sync());
  }

  /** Records from `fromSeq` in seq order; with follow, waits for new ones (also from other processes). */
  read(options: ReadOptions = {}): AsyncIterableIterator<LogEntry> {
    const writer = this.writer;
    return readLog(
      {
        dir: this.dir,
        changes: this.changes,
        durableLimit: writer ? () => writer.nextSeq : undefined,
        watermark: writer ? undefined : new WatermarkGate(this.dir),
        durableFloor: writer ? () => writer.nextSeq : () => watermarkFloor(this.dir),
        isClosed: () => this.closed,
        onSkipped: this.skipDamaged ? (region) => this.noteSkipped(region) : undefined,
        activeIndex: writer ? () => ({ name: writer.activeSegment.ref.name, entries: writer.activeSegment.indexEntries }) : undefined,
        frameMaps: this.frameMaps,
        tailViews: writer ? undefined : this.tailViews,
      },
      options,
    );
  }

  /**
   * The frames the open's count verified (segment-count.ts), noted for this Log's readers as its reads note frames:
   * only those below the durable watermark it saw, so the first read passes them by instead of walking them again.
   */
  private noteCounted(walked: readonly CountedFrames[], visibleRecords: number): void {
    for (const { identity, salt, baseSeq, frames } of walked) {
      const map = this.frameMaps.forSegment(identity, salt);
      for (let i = 0; i < frames.length && baseSeq + i < visibleRecords; i++) map.note(frames[i]!.offset, frames[i]!.frame);
    }
  }

  /** Damaged regions that reads of a skipDamaged log went past so far (empty otherwise). */
  get skipped(): readonly SkippedRegion[] {
    return [...this.skippedByPlace.values()];
  }

  private noteSkipped(region: SkippedRegion): void {
    const place = `${region.segment}:${region.offset}`;
    if (!this.skippedByPlace.has(place)) this.skippedByPlace.set(place, region);
  }

  /**
   * One record by position (from a RecordPosition or LogEntry), checksum verified. `payloadBytesHint` (the payload
   * size the caller expects, e.g. a chunk's size plus its fields) lets one read fetch the whole frame; without it, or
   * for a frame larger than it, the header is read first and then the frame.
   */
  readAt(position: { segment: string; offset: number }, payloadBytesHint = 0): Promise<{ tag: number; payload: Uint8Array }> {
    return stamp('Log.readAt', this.readAtInner(position, payloadBytesHint));
  }

  /**
   * Records by position, in the order given, each checked as readAt checks it: a position that fails is its error
   * (as readAt gives it), the others still come. Positions whose frames lie next to each other in a segment (each
   * within the bytes its run's hints cover) are read with one pread (read-runs.ts); a frame the run's bytes do not
   * hold whole, or that fails its checks there, is read again alone by readAt.
   */
  async readManyAt(positions: readonly HintedPosition[]): Promise<RecordReadResult[]> {
    const results: RecordReadResult[] = new Array<RecordReadResult>(positions.length);
    const alone = async (i: number) => {
      const position = positions[i]!;
      results[i] = await this.readAt(position, position.payloadBytesHint).catch((error: unknown) => ({ error }));
    };
    const valid: number[] = [];
    const reads: Promise<void>[] = [];
    for (const [i, position] of positions.entries()) {
      // A position no log could hold: readAt's UsageError.
      if (positionError(position)) reads.push(alone(i));
      else valid.push(i);
    }
    const runs = planReadRuns(valid.map((i) => positions[i]!)).map((run) => ({ ...run, indexes: run.indexes.map((j) => valid[j]!) }));
    // All runs of one call read into one pooled buffer when they fit (their records are copied out of it); beyond
    // the pool's few buffers, or for larger calls, each run reads into its own buffer and hands out views of it.
    let total = 0;
    for (const run of runs) total += run.end - run.start;
    const pooled = total <= this.runBuffers.bufferBytes ? this.runBuffers.takeBounded() : undefined;
    let at = 0;
    for (const run of runs) {
      const length = run.end - run.start;
      // Unzeroed: only the bytes read are looked at (recordInRun), and each frame is checked before use.
      const bytes = pooled ? pooled.subarray(at, at + length) : uninitializedBytes(length);
      at += length;
      reads.push(this.readRun(run, bytes, pooled !== undefined, positions, results, alone));
    }
    try {
      await Promise.all(reads);
    } finally {
      if (pooled) this.runBuffers.give(pooled);
    }
    return results;
  }

  /** Reads `run` into `bytes` (its length); with `copyOut`, each record leaves with a copy (the buffer is reused). */
  private async readRun(run: ReadRun, bytes: Uint8Array, copyOut: boolean, positions: readonly HintedPosition[], results: RecordReadResult[], alone: (i: number) => Promise<void>): Promise<void> {
    let segment: OpenSegment;
    let got: number;
    try {
      if (this.closed) throw new ClosedError('the log is closed');
      segment = await this.segmentHandle(run.segment, checkPosition(positions[run.indexes[0]!]!));
      got = await readAtMost(segment.handle, bytes, run.start);
    } catch {
      // readAt says what is wrong (and reads a segment a prune replaced afresh).
      await Promise.all(run.indexes.map(alone));
      return;
    }
    const rest: Promise<void>[] = [];
    for (const i of run.indexes) {
      const record = recordInRun(bytes, got, run, positions[i]!, segment.header.salt);
      if (record) results[i] = copyOut ? { tag: record.tag, payload: unzeroedCopy(record.payload) } : record;
      else rest.push(alone(i));
    }
    await Promise.all(rest);
  }

  private async readAtInner(position: { segment: string; offset: number }, payloadBytesHint: number): Promise<{ tag: number; payload: Uint8Array }> {
    if (this.closed) throw new ClosedError('the log is closed');
    const baseSeq = checkPosition(position);
    try {
      return await this.readFrameAt(position, baseSeq, payloadBytesHint);
    } catch (error) {
      // The handle kept open may be a file a prune has since replaced (renamed over): read the file there now, once.
      const cached = await this.handles.get(position.segment)?.catch(() => undefined);
      if (!cached || (await sameFile(cached.handle, join(this.dir, position.segment)))) throw error;
      this.handles.delete(position.segment);
      await cached.handle.close().catch(() => {});
      return this.readFrameAt(position, baseSeq, payloadBytesHint);
    }
  }

  private async readFrameAt(position: { segment: string; offset: number }, baseSeq: number, payloadBytesHint: number): Promise<{ tag: number; payload: Uint8Array }> {
    const segment = await this.segmentHandle(position.segment, baseSeq);
    // Unzeroed, as in readRun: frameHeaderAt and framePayloadAt look only at the `got` bytes read.
    let bytes = uninitializedBytes(FRAME_HEADER_BYTES + Math.max(0, payloadBytesHint));
    let got = await readAtMost(segment.handle, bytes, position.offset);
    const decoded = frameHeaderAt(bytes, got, position);
    if (got < decoded.frameBytes && got === bytes.length) {
      bytes = uninitializedBytes(decoded.frameBytes);
      got = await readAtMost(segment.handle, bytes, position.offset);
    }
    const payload = framePayloadAt(bytes, got, decoded, segment.header.salt, position);
    return { tag: decoded.header.tag, payload };
  }

  private segmentHandle(name: string, baseSeq: number): Promise<OpenSegment> {
    let entry = this.handles.get(name);
    if (!entry) {
      if (this.handles.size >= LOG_LIMITS.readHandlesMax) {
        const [oldest, promise] = this.handles.entries().next().value as [string, Promise<OpenSegment>];
        this.handles.delete(oldest);
        void promise.then((s) => s.handle.close()).catch(() => {});
      }
      entry = openSegment({ name, baseSeq, path: join(this.dir, name) });
      entry.catch(() => this.handles.delete(name));
      this.handles.set(name, entry);
    }
    return entry;
  }

  /** The segments in seq order with their record counts and sizes. */
  async segments(): Promise<SegmentInfo[]> {
    const refs = await listSegments(this.dir);
    const infos: SegmentInfo[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const next = refs[i + 1];
      const { size } = await stat(ref.path).catch((error: unknown) => {
        throw wrapIoError(error, 'stat segment', ref.path);
      });
      // The newest segment's count: the writer knows it; a read-only Log counts the file as it is now.
      const end = next ? next.baseSeq : this.writer ? this.writer.nextSeq : ref.baseSeq + (await countSegmentRecords(ref));
      const records = end - ref.baseSeq;
      infos.push({ name: ref.name, baseSeq: ref.baseSeq, records: Math.max(0, records), bytes: size });
    }
    return infos;
  }

  /** Finishes pending appends, ends followers, releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer?.close();
      if (this.writer) {
        this.watermark?.publish(this.writer.nextSeq);
        await this.watermark?.sync();
      }
    } finally {
      this.watermark?.close();
      this.changes.close();
      const handles = [...this.handles.values()];
      this.handles.clear();
      await Promise.all(handles.map((p) => p.then((s: { handle: FileHandle }) => s.handle.close()).catch(() => {})));
      await this.lock?.release();
      this.emit(LOG_EVENTS.close);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
