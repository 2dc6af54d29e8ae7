// Ingest: bytes → chunks (via a ChunkProcessor) → dedup against the index → compressed chunk records appended to the
// log. Owns file reading (with the changed-while-read check) and the per-ingest flow control; never appends a
// version record (the caller does: it is the commit point). Invariants: when an ingest resolves, every chunk it
// returns is durable in the log (appended by it, by a concurrent ingest it waited for, or before); at most
// `ingestInFlightBytesMax` bytes of one ingest are held in memory before they reach the log, and at most
// `ingestUnsyncedBytesMax` chunk-record bytes of all ingests wait in the log for their fsync.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants, type Stats } from 'node:fs';
import { FileChangedError, IoError, wrapIoError } from '../errors.js';
import { encodeRecord, type ChunkRecord, type ChunkRef, type ContentIdBytes } from '../record/index.js';
import { LIMITS } from '../util/limits.js';
import type { ChunkIndex } from './chunk-index.js';
import type { ChunkProcessor, HashedChunk } from './chunk-processor.js';
import type { CompressionMode } from './compress.js';
import { contentIdHex } from './content-id.js';
import type { StoreLog } from './log-port.js';
import type { IngestedContent, StatKey } from './types.js';
import type { RecordPosition } from '../log/types.js';

export interface IngestContext {
  readonly log: StoreLog;
  readonly index: ChunkIndex;
  readonly compression: CompressionMode;
  /** Processor for small inputs (the calling thread) and for large ones (the worker pool, or the same inline one). */
  inline: ChunkProcessor;
  pool(): ChunkProcessor;
  /** Tells the catalog about appended seqs (chunk records carry nothing it applies). */
  noteChunkAppended(seq: number): void;
  assertWritable(op: string): void;
}

interface Tally {
  newChunks: number;
  newBytes: number;
  storedBytes: number;
}

/** Counts reads for tests and benchmarks: a rescan answered by the stat cache must not move these. */
export const INGEST_COUNTERS = { filesRead: 0, bytesRead: 0 };

export class Ingester {
  /** Chunks being compressed/appended right now, by hex id: a second ingest of the same chunk waits for the first. */
  private readonly pending = new Map<string, Promise<void>>();
  /**
   * Chunk-record bytes handed to the log and not yet durable. Counted apart from the in-flight bytes: an fsync on a
   * busy disk takes tens of ms, and holding the pipeline's few MiB until it returned capped ingest at ~40 MB/s.
   */
  private unsyncedBytes = 0;
  private readonly unsyncedWaiters: (() => void)[] = [];

  constructor(private readonly ctx: IngestContext) {}

  get pendingChunkAppends(): number {
    return this.pending.size;
  }

  async ingestFile(absolutePath: string, signal?: AbortSignal): Promise<IngestedContent & { stat: StatKey }> {
    this.ctx.assertWritable('ingestFile');
    const observedAtMs = Date.now();
    let handle: FileHandle | undefined;
    try {
      // The open handle's stat is "before": whatever the path points to later, this is the file we read.
      // O_NONBLOCK: opening a FIFO (or a device) must not hang; it is refused just below as not a regular file.
      handle = await open(absolutePath, constants.O_RDONLY | constants.O_NONBLOCK);
      const before = await handle.stat();
      if (!before.isFile()) throw new IoError(`not a regular file: ${absolutePath}`, { op: 'ingest', path: absolutePath, errno: 'ENOTREG' });
      const processor = before.size <= LIMITS.ingestInlineBytesMax ? this.ctx.inline : this.ctx.pool();
      INGEST_COUNTERS.filesRead++;
      const content = await this.ingestBlocks(readBlocks(handle, absolutePath, before.size), processor, signal);
      checkSame(absolutePath, before, await handle.stat(), 'changed while read');
      checkSame(absolutePath, before, await stat(absolutePath), 'replaced while read');
      if (content.size !== before.size) throw changed(absolutePath, `read ${content.size} bytes of ${before.size}`);
      return { ...content, stat: { size: before.size, mtimeMs: before.mtimeMs, ctimeMs: before.ctimeMs, ino: before.ino, observedAtMs } };
    } catch (error) {
      throw wrapIoError(error, 'ingest', absolutePath);
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  async ingestStream(source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<IngestedContent> {
    this.ctx.assertWritable('ingestStream');
    // Blocks are copied before they go to a worker (the caller may reuse its buffers); small streams stay inline.
    const iterator = source[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let headBytes = 0;
    let done = false;
    while (headBytes <= LIMITS.ingestInlineBytesMax) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      head.push(new Uint8Array(next.value)); // a copy (Buffer#slice would be a view)
      headBytes += next.value.length;
    }
    const processor = done ? this.ctx.inline : this.ctx.pool();
    async function* all(): AsyncGenerator<Uint8Array> {
      yield* head;
      if (done) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield new Uint8Array(next.value);
    }
    return this.ingestBlocks(all(), processor, signal);
  }

  /** Drives one session: writes blocks, stores each finished chunk, bounds the bytes in flight. */
  private async ingestBlocks(blocks: AsyncIterable<Uint8Array>, processor: ChunkProcessor, signal?: AbortSignal): Promise<IngestedContent> {
    const session = processor.openSession();
    const refs: ChunkRef[] = [];
    const tally: Tally = { newChunks: 0, newBytes: 0, storedBytes: 0 };
    let inFlightBytes = 0;
    let tasks = 0;
    let failure: unknown;
    let wake: (() => void) | undefined;
    session.onChunks = (chunks) => {
      for (const chunk of chunks) {
        const size = chunk.data.length;
        refs.push({ id: chunk.id, size });
        inFlightBytes += size;
        tasks++;
        let submitted = false;
        // In flight until the log holds the record (or it turned out stored); the task ends once it is durable.
        const onSubmitted = () => {
          if (submitted) return;
          submitted = true;
          inFlightBytes -= size;
          wake?.();
        };
        this.storeChunk(chunk, processor, tally, onSubmitted)
          .catch((error: unknown) => void (failure ??= error))
          .finally(() => {
            onSubmitted();
            tasks--;
            wake?.();
          });
      }
    };
    const waitUntil = async (condition: () => boolean): Promise<void> => {
      while (!condition() && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
    };
    try {
      for await (const block of blocks) {
        signal?.throwIfAborted();
        if (failure !== undefined) throw failure;
        await session.write(block);
        await waitUntil(() => inFlightBytes <= LIMITS.ingestInFlightBytesMax / 2);
      }
      const result = await session.end();
      await waitUntil(() => tasks === 0);
      if (failure !== undefined) throw failure;
      return { contentId: result.contentId, chunks: refs, size: result.size, ...tally };
    } catch (error) {
      session.abort();
      failure ??= error;
      await waitUntil(() => tasks === 0).catch(() => {});
      throw error;
    }
  }

  /**
   * Appends one chunk unless the log has it (or is getting it from a concurrent ingest, which we then await).
   * `onSubmitted` is called once the chunk no longer needs this ingest's memory (the log holds it, or it was found);
   * the promise resolves once the chunk is durable and indexed.
   */
  private async storeChunk(chunk: HashedChunk, processor: ChunkProcessor, tally: Tally, onSubmitted: () => void): Promise<void> {
    if (this.ctx.index.has(chunk.id)) return;
    const key = contentIdHex(chunk.id);
    const running = this.pending.get(key);
    if (running) {
      onSubmitted();
      return running;
    }
    const size = chunk.data.length; // read before the bytes are transferred to a worker
    const work = (async () => {
      const packed = await processor.compress(chunk.data, this.ctx.compression);
      const record: ChunkRecord = { kind: 'chunk', id: chunk.id, codec: packed.codec, size, data: packed.data };
      const input = encodeRecord(record);
      const recordBytes = input.payload.length;
      await this.reserveUnsynced(recordBytes);
      let position: RecordPosition;
      try {
        const appended = this.ctx.log.append(input);
        onSubmitted();
        position = await appended;
      } finally {
        this.releaseUnsynced(recordBytes);
      }
      this.ctx.index.add(chunk.id, { segment: position.segment, offset: position.offset, size });
      this.ctx.noteChunkAppended(position.seq);
      tally.newChunks++;
      tally.newBytes += size;
      tally.storedBytes += input.payload.length;
    })();
    this.pending.set(key, work);
    try {
      await work;
    } finally {
      this.pending.delete(key);
    }
  }

  /** Waits until `bytes` more fit under `ingestUnsyncedBytesMax` (always admits one record when nothing waits). */
  private async reserveUnsynced(bytes: number): Promise<void> {
    while (this.unsyncedBytes > 0 && this.unsyncedBytes + bytes > LIMITS.ingestUnsyncedBytesMax) {
      await new Promise<void>((resolve) => this.unsyncedWaiters.push(resolve));
    }
    this.unsyncedBytes += bytes;
  }

  private releaseUnsynced(bytes: number): void {
    this.unsyncedBytes -= bytes;
    for (const resolve of this.unsyncedWaiters.splice(0)) resolve();
  }

  /** The chunk appends in flight right now (each settles once its chunk is appended and indexed, or failed). */
  inFlight(): Promise<void>[] {
    return [...this.pending.values()];
  }

  /** Resolves when no chunk append is in flight. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.values()]);
  }
}

function changed(path: string, reason: string): FileChangedError {
  return new FileChangedError(`${path} changed while it was read (${reason}); try again`, { path, reason });
}

function checkSame(path: string, before: Stats, after: Stats, when: string): void {
  const facts = ['size', 'mtimeMs', 'ctimeMs', 'ino'] as const;
  const differs = facts.filter((fact) => before[fact] !== after[fact]);
  if (differs.length > 0) throw changed(path, `${when}: ${differs.join(', ')} differ`);
}

/**
 * Reads a file in fresh blocks (each its own ArrayBuffer, so it can be transferred to a worker). Blocks are sized by
 * the bytes stat promised (+1 to see the end in the same read), so small files do not allocate whole blocks.
 */
async function* readBlocks(handle: FileHandle, path: string, expectedBytes: number): AsyncGenerator<Uint8Array> {
  let remaining = expectedBytes;
  for (;;) {
    const block = new Uint8Array(Math.max(1, Math.min(LIMITS.ingestBlockBytes, remaining + 1)));
    let filled = 0;
    while (filled < block.length) {
      const { bytesRead } = await handle.read(block, filled, block.length - filled, null).catch((error: unknown) => {
        throw wrapIoError(error, 'read', path);
      });
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    INGEST_COUNTERS.bytesRead += filled;
    remaining = Math.max(0, remaining - filled);
    if (filled > 0) yield filled === block.length ? block : block.subarray(0, filled);
    if (filled < block.length) return;
  }
}

export type { ContentIdBytes };
