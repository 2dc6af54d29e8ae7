// The one writer of a log: group commit, atomic groups and rollover (docs/format.md "Write ordering").
// Appends queue; each commit lays out every queued record (frame-batch.ts), issues one vectored write and one fdatasync, then
// resolves all of them: many appends share one fsync. Owns the active segment's handle and size.
// Never: writes to a segment whose header and directory entry are not yet durable; reports a record durable before
// its fdatasync returned; carries on after a failed write or fsync (it becomes unusable: every later call rejects),
// with one exception: a full disk (ENOSPC, EDQUOT). Then the segment is cut back to its durable end (truncate +
// fdatasync: what was durable stays, the failed bytes are gone), every queued append is refused with DiskFullError
// (a later one may depend on a refused one: a version on its chunks), and the writer takes appends again, so a
// caller that keeps its work can retry once space is freed. Only if that cut fails does the writer become unusable.
import { randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ClosedError, DiskFullError, errnoOf, LimitError, wrapIoError, type SynclogError } from '../errors.js';
import { assert } from '../util/assert.js';
import { LIMITS } from '../util/limits.js';
import { FORMAT_VERSION, FRAME_FLAGS, INDEX_INTERVAL_BYTES, TAG_MAX, type FrameFlags } from './format.js';
import { frameBytesFor } from './frame.js';
import { layoutFrames, writePiecesAll, type FrameSpec } from './frame-batch.js';
import { REAL_LOG_FILE_SYSTEM, type LogFileSystem } from './log-fs.js';
import { encodeSegmentHeader } from './segment-header.js';
import { writeSegmentIndex, type IndexEntry } from './segment-index.js';
import { segmentFileName } from './segment-name.js';
import type { SegmentRef } from './segment-file.js';
import { payloadBytes, type AppendInput, type RecordPosition } from './types.js';

export interface ActiveSegment {
  ref: SegmentRef;
  handle: FileHandle;
  salt: bigint;
  /** Bytes durable in the file (header included); the next frame goes here. */
  size: number;
  records: number;
  indexEntries: IndexEntry[];
  /** The header's format version; a rollover keeps it (a log that reached version 3 stays there). */
  formatVersion: number;
}

export interface WriterOptions {
  segmentBytesMax: number;
  groupCommitDelayMs: number;
  /** Bytes queued before appends wait; default LIMITS.appendQueueBytesMax (tests lower it). */
  appendQueueBytesMax?: number;
  /** The durability operations (log-fs.ts); default the real file system. */
  fileSystem?: LogFileSystem;
}

interface PendingAppend {
  kind: 'append';
  inputs: readonly AppendInput[];
  bytes: number;
  resolve(positions: RecordPosition[]): void;
  reject(error: unknown): void;
}

interface PendingAtomic {
  kind: 'atomic';
  source: AsyncIterable<AppendInput> | Iterable<AppendInput>;
  /** Known up front when the source is an array (so nextSeq stays exact while the group waits). */
  records: number;
  bytes: number;
  resolve(positions: RecordPosition[]): void;
  reject(error: unknown): void;
}

/** Seal the active segment now and start one of `formatVersion` (forget and prune: docs/format.md "Retention"). */
interface PendingRoll {
  kind: 'roll';
  formatVersion: number;
  /** Seal even when the active segment already has `formatVersion` (otherwise only a version change rolls). */
  seal: boolean;
  bytes: 0;
  resolve(): void;
  reject(error: unknown): void;
}

type Pending = PendingAppend | PendingAtomic | PendingRoll;

/** Creates a segment durably: header written to a temp file, fsynced, renamed, directory fsynced; then opened. */
export async function createSegment(dir: string, baseSeq: number, fs: LogFileSystem = REAL_LOG_FILE_SYSTEM, formatVersion: number = FORMAT_VERSION): Promise<ActiveSegment> {
  const name = segmentFileName(baseSeq);
  const path = join(dir, name);
  const salt = randomBytes(8).readBigUInt64LE(0);
  const header = encodeSegmentHeader(baseSeq, salt, formatVersion);
  await fs.writeFileAtomic(path, header);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    throw wrapIoError(error, 'open new segment', path);
  }
  return { ref: { name, baseSeq, path }, handle, salt, size: header.length, records: 0, indexEntries: [], formatVersion };
}

/** Rejects bad input with a typed error before it is queued. */
export function checkAppendInput(input: AppendInput): number {
  assert(Number.isInteger(input.tag) && input.tag >= 0 && input.tag <= TAG_MAX, `tag must be an integer 0..${TAG_MAX}`);
  const pieces = input.payload instanceof Uint8Array ? [input.payload] : input.payload;
  assert(Array.isArray(pieces) && pieces.every((piece) => piece instanceof Uint8Array), 'payload must be a Uint8Array or an array of them');
  const bytes = payloadBytes(input.payload);
  if (bytes > LIMITS.recordBytesMax) {
    throw new LimitError(`record of ${bytes} bytes exceeds recordBytesMax`, {
      limit: 'recordBytesMax',
      value: bytes,
      max: LIMITS.recordBytesMax,
    });
  }
  return frameBytesFor(bytes);
}

export class SegmentWriter {
  private readonly queue: Pending[] = [];
  /** Appends over the queue bound wait here, in order (back-pressure). */
  private readonly waiting: Pending[] = [];
  private queuedBytes = 0;
  /** Records of accepted, not yet committed items: nextSeq + pendingCount is the seq the next append gets. */
  private pendingCount = 0;
  private running = false;
  private idleWaiters: Array<() => void> = [];
  private failure: SynclogError | undefined;
  private closing = false;
  /** Seq of the next frame written (everything below it is durable). */
  nextSeq: number;

  constructor(
    private readonly dir: string,
    private segment: ActiveSegment,
    nextSeq: number,
    private readonly options: WriterOptions,
    private readonly onDurable: (nextDurableSeq: number) => void,
    /** After a rollover (a cheap moment to make the watermark itself durable); may reject, which is ignored. */
    private readonly onRolled: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.nextSeq = nextSeq;
    this.fs = options.fileSystem ?? REAL_LOG_FILE_SYSTEM;
  }

  private readonly fs: LogFileSystem;

  private get queueBytesMax(): number {
    return this.options.appendQueueBytesMax ?? LIMITS.appendQueueBytesMax;
  }

  /** Bytes accepted but not yet durable (bounded by appendQueueBytesMax, plus one oversized item). */
  get queuedBytesNow(): number {
    return this.queuedBytes;
  }

  get activeSegment(): ActiveSegment {
    return this.segment;
  }

  /** Records accepted but not yet durable (an atomic group from a non-array iterable counts once committed). */
  get pendingRecords(): number {
    return this.pendingCount;
  }

  get failed(): SynclogError | undefined {
    return this.failure;
  }

  /** Queues records; resolves with their positions once they are durable (one fsync for the whole batch). */
  append(inputs: readonly AppendInput[]): Promise<RecordPosition[]> {
    return this.submit((resolve, reject) => {
      let bytes = 0;
      for (const input of inputs) bytes += checkAppendInput(input);
      return { kind: 'append', inputs, bytes, resolve, reject };
    });
  }

  /** Writes a group whose records become visible and durable together, or not at all. */
  appendAtomic(source: AsyncIterable<AppendInput> | Iterable<AppendInput>): Promise<RecordPosition[]> {
    return this.submit((resolve, reject) => ({
      kind: 'atomic',
      source,
      records: Array.isArray(source) ? source.length : 0,
      bytes: 0,
      resolve,
      reject,
    }));
  }

  private submit(make: (resolve: (p: RecordPosition[]) => void, reject: (e: unknown) => void) => Pending): Promise<RecordPosition[]> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closing) return reject(new ClosedError('the log is closed'));
      let item: Pending;
      try {
        item = make(resolve, reject);
      } catch (error) {
        return reject(error);
      }
      this.pendingCount += item.kind === 'append' ? item.inputs.length : item.kind === 'atomic' ? item.records : 0;
      const room = this.queuedBytes === 0 || this.queuedBytes + item.bytes <= this.queueBytesMax;
      if (this.waiting.length === 0 && room) this.admit(item);
      else this.waiting.push(item);
    });
  }

  private admit(item: Pending): void {
    this.queue.push(item);
    this.queuedBytes += item.bytes;
    this.kick();
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (this.queuedBytes !== 0 && this.queuedBytes + next.bytes > this.queueBytesMax) return;
      this.waiting.shift();
      this.admit(next);
    }
  }

  /** Resolves when everything accepted so far is durable (or rejects with the writer's failure). */
  sync(): Promise<void> {
    return this.append([]).then(() => undefined);
  }

  /** Finishes queued work, then closes the active segment. Later appends reject with ClosedError. */
  async close(): Promise<void> {
    this.closing = true;
    await this.whenIdle();
    await this.segment.handle.close().catch(() => {});
  }

  private whenIdle(): Promise<void> {
    if (!this.running && this.queue.length === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.pump().finally(() => {
      this.running = false;
      // An append admitted after the pump's last check and before this callback would otherwise wait forever.
      if (this.queue.length > 0 && !this.failure) return this.kick();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      if (this.options.groupCommitDelayMs > 0) await new Promise((r) => setTimeout(r, this.options.groupCommitDelayMs));
      try {
        try {
          await this.rollIfFull();
        } catch (error) {
          // The sealed segment's index and the new segment are each written whole or not at all (temp + rename):
          // nothing to cut; the active segment stays and the next commit tries the rollover again.
          if (!isOutOfSpace(error)) throw error;
          this.refuseQueued(diskFull(error, 'start a new segment', this.dir));
          continue;
        }
        const head = this.queue[0]!;
        if (head.kind === 'atomic') {
          this.queue.shift();
          await this.runAtomic(head);
        } else if (head.kind === 'roll') {
          this.queue.shift();
          if (head.seal || this.segment.formatVersion !== head.formatVersion) await this.roll(head.formatVersion);
          head.resolve();
        } else {
          await this.commitBatch(this.takeBatch());
        }
      } catch (error) {
        this.fail(error, 'append', this.segment.ref.path);
      }
      this.admitWaiting();
    }
    if (this.failure) {
      for (const item of [...this.queue.splice(0), ...this.waiting.splice(0)]) item.reject(this.failure);
      this.queuedBytes = 0;
    }
  }

  /** Plain appends from the head of the queue, within the group-commit limits and the segment's room. */
  private takeBatch(): PendingAppend[] {
    const batch: PendingAppend[] = [];
    let records = 0;
    let bytes = 0;
    const room = this.options.segmentBytesMax - this.segment.size;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind !== 'append') break;
      const fits =
        records + head.inputs.length <= LIMITS.groupCommitRecordsMax &&
        bytes + head.bytes <= LIMITS.groupCommitBytesMax &&
        bytes + head.bytes <= room;
      if (batch.length > 0 && !fits) break;
      this.queue.shift();
      batch.push(head);
      records += head.inputs.length;
      bytes += head.bytes;
    }
    return batch;
  }

  private async commitBatch(batch: PendingAppend[]): Promise<void> {
    const segment = this.segment;
    const frames: FrameSpec[] = [];
    const results: RecordPosition[][] = [];
    let at = 0;
    let seq = this.nextSeq;
    const indexEntriesBefore = segment.indexEntries.length;
    for (const item of batch) {
      const positions: RecordPosition[] = [];
      for (const input of item.inputs) {
        positions.push({ seq: seq++, segment: segment.ref.name, offset: segment.size + at });
        this.noteIndex(seq - 1, segment.size + at);
        frames.push({ tag: input.tag, flags: FRAME_FLAGS.full, payload: input.payload });
        at += frameBytesFor(payloadBytes(input.payload));
      }
      results.push(positions);
    }
    const { pieces, bytes } = layoutFrames(frames, segment.salt);
    assert(at === bytes, 'batch bytes add up');
    if (bytes > 0) {
      try {
        await writePiecesAll(segment.handle, pieces, segment.size);
        await this.fs.datasync(segment.handle, segment.ref.path);
      } catch (error) {
        if (isOutOfSpace(error) && (await this.cutBack(segment, segment.size))) {
          segment.indexEntries.length = indexEntriesBefore;
          this.refuseQueued(diskFull(error, 'append', segment.ref.path), batch);
          return;
        }
        this.fail(error, 'append', segment.ref.path, segment.size);
        for (const item of batch) item.reject(this.failure);
        return;
      }
    }
    this.commitState(segment, bytes, seq - this.nextSeq, seq - this.nextSeq);
    this.queuedBytes -= bytes;
    batch.forEach((item, i) => item.resolve(results[i]!));
    if (bytes > 0) this.onDurable(this.nextSeq);
  }

  /** Adds a sparse index entry when a group starts past the next index interval. */
  private noteIndex(seq: number, offset: number): void {
    const segment = this.segment;
    const last = segment.indexEntries[segment.indexEntries.length - 1];
    if (last === undefined || offset >= last.offset + INDEX_INTERVAL_BYTES) {
      segment.indexEntries.push({ relSeq: seq - segment.ref.baseSeq, offset });
    }
  }

  /** Advances the durable state; `counted` is how many of the records were in pendingCount. */
  private commitState(segment: ActiveSegment, bytes: number, records: number, counted: number): void {
    segment.size += bytes;
    segment.records += records;
    this.nextSeq += records;
    this.pendingCount -= counted;
  }

  private async runAtomic(item: PendingAtomic): Promise<void> {
    const segment = this.segment;
    const startSize = segment.size;
    const startSeq = this.nextSeq;
    const positions: RecordPosition[] = [];
    const frames: FrameSpec[] = [];
    let piecesBytes = 0;
    let writtenTo = startSize;
    let held: AppendInput | undefined;
    let ioFailed = false;
    const emit = (input: AppendInput, flags: FrameFlags) => {
      positions.push({ seq: startSeq + positions.length, segment: segment.ref.name, offset: writtenTo + piecesBytes });
      frames.push({ tag: input.tag, flags, payload: input.payload });
      piecesBytes += frameBytesFor(payloadBytes(input.payload));
    };
    const flush = async () => {
      if (piecesBytes === 0) return;
      const { pieces, bytes } = layoutFrames(frames, segment.salt);
      frames.length = 0;
      ioFailed = true;
      await writePiecesAll(segment.handle, pieces, writtenTo);
      ioFailed = false;
      writtenTo += bytes;
      piecesBytes = 0;
    };
    try {
      for await (const input of item.source) {
        checkAppendInput(input);
        if (held) emit(held, positions.length === 0 ? FRAME_FLAGS.first : FRAME_FLAGS.middle);
        held = input;
        if (piecesBytes >= LIMITS.groupCommitBytesMax) await flush();
      }
      if (!held) {
        this.pendingCount -= item.records;
        return item.resolve([]);
      }
      emit(held, positions.length === 0 ? FRAME_FLAGS.full : FRAME_FLAGS.last);
      await flush();
      ioFailed = true;
      await this.fs.datasync(segment.handle, segment.ref.path);
    } catch (error) {
      if (ioFailed && isOutOfSpace(error) && (await this.cutBack(segment, startSize))) {
        this.pendingCount -= item.records;
        const refusal = diskFull(error, 'append atomic group', segment.ref.path);
        item.reject(refusal);
        this.refuseQueued(refusal);
        return;
      }
      await this.undoAtomic(segment, startSize, writtenTo, ioFailed ? error : undefined);
      this.pendingCount -= item.records;
      return item.reject(ioFailed ? this.failure : error);
    }
    this.noteIndex(startSeq, startSize);
    this.commitState(segment, writtenTo - startSize, positions.length, item.records);
    item.resolve(positions);
    this.onDurable(this.nextSeq);
  }

  /** Cuts a failed group's frames so that nothing of it remains; a failure to cut makes the writer unusable. */
  private async undoAtomic(segment: ActiveSegment, startSize: number, writtenTo: number, ioError: unknown): Promise<void> {
    if (ioError !== undefined) this.fail(ioError, 'append atomic group', segment.ref.path);
    if (writtenTo === startSize && ioError === undefined) return;
    try {
      await this.fs.truncate(segment.handle, segment.ref.path, startSize);
      await this.fs.datasync(segment.handle, segment.ref.path);
    } catch (error) {
      this.fail(error, 'cut failed atomic group', segment.ref.path);
    }
  }

  /**
   * Once everything queued before is durable: starts a new segment of `formatVersion`, sealing the active one, if
   * `seal` is set or the active one has another version; a segment without records is only replaced when its
   * version differs. Resolves when that is done.
   */
  rollOver(formatVersion: number, seal: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new ClosedError('the log is closed'));
    return new Promise<void>((resolve, reject) => {
      const item: PendingRoll = { kind: 'roll', formatVersion, seal, bytes: 0, resolve, reject };
      // Behind everything submitted before it, those waiting for queue room included.
      if (this.waiting.length === 0) this.admit(item);
      else this.waiting.push(item);
    });
  }

  private async rollIfFull(): Promise<void> {
    if (this.segment.size < this.options.segmentBytesMax || this.segment.records === 0) return;
    await this.roll(this.segment.formatVersion);
  }

  private async roll(formatVersion: number): Promise<void> {
    if (this.segment.records === 0 && this.segment.formatVersion === formatVersion) return;
    const sealed = this.segment;
    // The index first: a crash before the new segment exists leaves a sealed-looking index that open rebuilds.
    await writeSegmentIndex(this.dir, sealed.ref.name, {
      salt: sealed.salt,
      segmentBytes: sealed.size,
      records: sealed.records,
      entries: sealed.indexEntries,
    }, this.fs);
    this.segment = await createSegment(this.dir, this.nextSeq, this.fs, formatVersion);
    await sealed.handle.close().catch(() => {});
    await this.onRolled().catch(() => {});
  }

  /** Truncates the segment back to `length` durably; false (nothing thrown) if that failed too. */
  private async cutBack(segment: ActiveSegment, length: number): Promise<boolean> {
    try {
      await this.fs.truncate(segment.handle, segment.ref.path, length);
      await this.fs.datasync(segment.handle, segment.ref.path);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Refuses `batch` (already taken off the queue) and everything still queued or waiting, with `refusal`; the
   * writer stays usable. All of it: an append queued after a refused one may depend on it (a version on its chunks).
   */
  private refuseQueued(refusal: DiskFullError, batch: readonly Pending[] = []): void {
    const refused = [...batch, ...this.queue.splice(0), ...this.waiting.splice(0)];
    for (const item of refused) {
      if (item.kind === 'append') this.pendingCount -= item.inputs.length;
      else if (item.kind === 'atomic') this.pendingCount -= item.records;
      item.reject(refusal);
    }
    this.queuedBytes = 0;
  }

  /** Makes the writer unusable; best effort, cuts a partly written batch so the file ends on a frame boundary. */
  private fail(error: unknown, op: string, path: string, truncateTo?: number): void {
    if (this.failure) return;
    this.failure = wrapIoError(error, op, path);
    if (truncateTo !== undefined) void this.fs.truncate(this.segment.handle, this.segment.ref.path, truncateTo).catch(() => {});
  }
}

/** A full file system or quota: the one write failure the writer recovers from (see the header). */
function isOutOfSpace(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno === 'ENOSPC' || errno === 'EDQUOT';
}

function diskFull(error: unknown, op: string, path: string): DiskFullError {
  const errno = errnoOf(error) ?? 'ENOSPC';
  return new DiskFullError(`the log's disk is full: ${op} failed for ${path} (${errno}); nothing of it was kept`, {
    op,
    path,
    errno,
    fix: 'free space on the file system that holds the log (or raise its quota); the watcher retries by itself',
  }, { cause: error });
}
