// Ingest: bytes → chunks (via a ChunkProcessor) → dedup against the index → compressed chunk records appended to the
// log. Owns file reading (with the changed-while-read check) and the per-ingest flow control; never appends a
// version record (the caller does: it is the commit point). Invariants: when an ingest resolves, every chunk it
// returns is in the log's append queue in log order (queued by it, by a concurrent ingest it waited for, or
// durable before), so a version appended afterwards is durable only once they are (docs/store.md "Write order");
// at most `ingestInFlightBytesMax` bytes of one ingest are held in memory before they reach the log, and at most
// `ingestUnsyncedBytesMax` chunk-record bytes of all ingests wait in the log for their fsync.
import { open, type FileHandle } from 'node:fs/promises';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { FileChangedError, IoError, wrapIoError } from '../errors.js';
import { encodeChunkRecord, type ChunkRecord, type ChunkRef, type ContentIdBytes } from '../record/index.js';
import { assert } from '../util/assert.js';
import { deferred } from '../util/deferred.js';
import { LIMITS } from '../util/limits.js';
import { uninitializedBytes } from '../util/uninitialized-bytes.js';
import { BufferPool } from '../util/buffer-pool.js';
import type { ChunkIndex } from './chunk-index.js';
import type { ChunkProcessor, HashedChunk, InlineProcessor } from './chunk-processor.js';
import { compressChunk, type CompressedChunk, type CompressionMode } from './compress.js';
import { contentIdHex, hashContent } from './content-id.js';
import type { StoreLog } from './log-port.js';
import type { IngestedContent, StatKey } from './types.js';
import type { RecordPosition } from '../log/types.js';

export interface IngestContext {
  readonly log: StoreLog;
  readonly index: ChunkIndex;
  readonly compression: CompressionMode;
  /** Processor for small inputs (the calling thread) and for large ones (the worker pool, or the same inline one). */
  inline: InlineProcessor;
  pool(): ChunkProcessor;
  /** Whether pool() was called (its workers started): until then large files are chunked on the calling thread. */
  poolStarted(): boolean;
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

/** A chunk between "not in the index" and "durable and indexed". */
interface PendingChunk {
  /** Resolves once the record is in the log's append queue (in log order), rejects if it never got there. */
  readonly queued: Promise<void>;
  /** Resolves once the record is durable and indexed (rejects when the append failed). */
  durable: Promise<void>;
  isQueued: boolean;
}

export class Ingester {
  /**
   * Chunks being compressed/appended right now, by hex id, until durable and indexed: a second ingest of the same
   * chunk waits until the first queued it (then its version, appended later, is behind it in the log).
   */
  private readonly pending = new Map<string, PendingChunk>();
  /**
   * Read buffers for files read whole (the synchronous path, up to ingestInlineBytesMax, and the one-chunk async path,
   * up to chunkBytesMin): one read of up to ingestInlineBytesMax + 1 bytes (the + 1 sees a file that grew).
   */
  private readonly inlineReadBuffers = new BufferPool(LIMITS.ingestInlineBytesMax + 1, LIMITS.ingestInlineReadBuffersPooledMax);
  /**
   * Read blocks of large files, handed back by the chunker once chunked. Why: a fresh 1 MiB block per read, freed
   * in a worker only when its garbage collector ran, left tens of MiB of dead blocks in the process (RSS).
   */
  private readonly readBlockPool = new BufferPool(LIMITS.ingestBlockBytes, LIMITS.ingestReadBlocksPooledMax);
  /**
   * Chunk-record bytes handed to the log and not yet durable. Counted apart from the in-flight bytes: an fsync on a
   * busy disk takes tens of ms, and holding the pipeline's few MiB until it returned capped ingest at ~40 MB/s.
   */
  private unsyncedBytes = 0;
  /** Chunk bytes compressed on this thread before the worker pool started (compressorFor). */
  private compressedInlineBytes = 0;
  private readonly unsyncedWaiters: (() => void)[] = [];

  constructor(private readonly ctx: IngestContext) {}

  get pendingChunkAppends(): number {
    return this.pending.size;
  }

  /** Why the newest chunk append that failed did (a full disk, say); a version needing that chunk must not follow. */
  lastChunkFailure: unknown;

  /** True if the log has this chunk or it is in the log's append queue (a record appended now lands after it). */
  isStoredOrQueued(id: ContentIdBytes): boolean {
    return this.ctx.index.has(id) || this.pending.get(contentIdHex(id))?.isQueued === true;
  }

  async ingestFile(absolutePath: string, signal?: AbortSignal, sizeHint?: number): Promise<IngestedContent & { stat: StatKey }> {
    this.ctx.assertWritable('ingestFile');
    const observedAtMs = Date.now();
    if (sizeHint !== undefined && sizeHint <= LIMITS.ingestInlineBytesMax) {
      const small = this.readSmallSync(absolutePath);
      if (small) {
        try {
          signal?.throwIfAborted();
          const stat = { size: small.before.size, mtimeMs: small.before.mtimeMs, ctimeMs: small.before.ctimeMs, ino: small.before.ino, observedAtMs };
          // One chunk (or none) is hashed and stored directly; a file of up to ingestInlineBytesMax, read whole, is
          // cut by the inline chunker in one block, exactly as the streaming path would cut it.
          const content = small.filled <= LIMITS.chunkBytesMin ? await this.storeSmall(small.buffer, small.filled) : await this.storeWhole(small.buffer.subarray(0, small.filled));
          return { ...content, stat };
        } catch (error) {
          throw wrapIoError(error, 'ingest', absolutePath);
        } finally {
          this.inlineReadBuffers.give(small.buffer);
        }
      }
    }
    let handle: FileHandle | undefined;
    try {
      // The open handle's stat is "before": whatever the path points to later, this is the file we read. The same
      // handle's stat after the read is the only other stat: what we read is the content of the file we opened.
      // O_NONBLOCK: opening a FIFO (or a device) must not hang; it is refused just below as not a regular file.
      handle = await open(absolutePath, constants.O_RDONLY | constants.O_NONBLOCK);
      const before = await handle.stat();
      if (!before.isFile()) throw new IoError(`not a regular file: ${absolutePath}`, { op: 'ingest', path: absolutePath, errno: 'ENOTREG' });
      INGEST_COUNTERS.filesRead++;
      const stat = { size: before.size, mtimeMs: before.mtimeMs, ctimeMs: before.ctimeMs, ino: before.ino, observedAtMs };
      if (before.size <= LIMITS.chunkBytesMin) return { ...(await this.ingestSmall(handle, absolutePath, before, signal)), stat };
      const processor = this.chunkerFor(before.size);
      const content = await this.ingestBlocks(readBlocks(handle, absolutePath, before.size, this.readBlockPool), processor, signal);
      checkSame(absolutePath, before, await handle.stat(), 'changed while read');
      if (content.size !== before.size) throw changed(absolutePath, `read ${content.size} bytes of ${before.size}`);
      return { ...content, stat };
    } catch (error) {
      throw wrapIoError(error, 'ingest', absolutePath);
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  /**
   * A file of at most chunkBytesMin bytes is exactly one chunk (or none), whose id is the content id: one read into
   * a pooled buffer, checked against the handle's stat, hashed and compressed on this thread. No chunker, no worker.
   */
  private async ingestSmall(handle: FileHandle, path: string, before: Stats, signal?: AbortSignal): Promise<IngestedContent> {
    const buffer = this.inlineReadBuffers.take();
    try {
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled).catch((error: unknown) => {
          throw wrapIoError(error, 'read', path);
        });
        filled += bytesRead;
        // Reading to EOF costs a second read; the stat after says whether the size we read is still the size.
        if (bytesRead === 0 || filled >= before.size) break;
      }
      INGEST_COUNTERS.bytesRead += filled;
      checkSame(path, before, await handle.stat(), 'changed while read');
      if (filled !== before.size) throw changed(path, `read ${filled} bytes of ${before.size}`);
      signal?.throwIfAborted();
      return await this.storeSmall(buffer, filled);
    } finally {
      this.inlineReadBuffers.give(buffer);
    }
  }

  /**
   * The small-file read done with synchronous calls on this thread: open, fstat, read, fstat, close of a file the
   * caller just saw at most ingestInlineBytesMax bytes big (files that size are chunked on this thread anyway). Why: through fs/promises each of those five calls is a
   * thread-pool round trip (a futex wake, an epoll wake back, a promise, a FileHandle to collect), which cost a
   * watcher following a burst of small new files more main-thread time than the calls themselves, taking a few µs
   * each on files the writer just left in the page cache (docs/store.md "Small files"). Returns undefined when the
   * file turned out larger (the caller takes the streaming path); throws what the async path would.
   */
  private readSmallSync(path: string): { buffer: Uint8Array; filled: number; before: Stats } | undefined {
    let fd: number | undefined;
    const buffer = this.inlineReadBuffers.take();
    let keep = false;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const before = fstatSync(fd);
      if (!before.isFile()) throw new IoError(`not a regular file: ${path}`, { op: 'ingest', path, errno: 'ENOTREG' });
      if (before.size > LIMITS.ingestInlineBytesMax) return undefined;
      INGEST_COUNTERS.filesRead++;
      let filled = 0;
      for (;;) {
        const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
        filled += bytesRead;
        if (bytesRead === 0 || filled >= before.size) break;
      }
      INGEST_COUNTERS.bytesRead += filled;
      checkSame(path, before, fstatSync(fd), 'changed while read');
      if (filled !== before.size) throw changed(path, `read ${filled} bytes of ${before.size}`);
      keep = true;
      return { buffer, filled, before };
    } catch (error) {
      throw wrapIoError(error, 'ingest', path);
    } finally {
      if (!keep) this.inlineReadBuffers.give(buffer);
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Hashes and stores the content of a small file read into `buffer` (one chunk, or none when empty). */
  private async storeSmall(buffer: Uint8Array, filled: number): Promise<IngestedContent> {
    const data = buffer.subarray(0, filled);
    const id = hashContent(data);
    const tally: Tally = { newChunks: 0, newBytes: 0, storedBytes: 0 };
    if (filled === 0) return { contentId: id, chunks: [], size: 0, ...tally };
    // The bytes are lent (the buffer goes back to the pool): storeChunk copies them only if it must keep them.
    await this.storeChunk({ id, data }, tally, () => {}, true);
    return { contentId: id, chunks: [{ id, size: filled }], size: filled, ...tally };
  }

  /**
   * Hashes and stores content read whole (a file of up to ingestInlineBytesMax) on this thread: cut in place
   * (chunkWhole, the streaming path's cuts), its chunks lent to storeChunk (`data` is a pooled buffer read into again).
   * Why not a session: it carried the whole file into its buffer and scanned it twice (measured: ~0.12 s of a quick
   * bench corpus snapshot's 3.1 s of main-thread samples in finish() and the carry buffers, load ~6).
   */
  private async storeWhole(data: Uint8Array): Promise<IngestedContent> {
    const tally: Tally = { newChunks: 0, newBytes: 0, storedBytes: 0 };
    const refs: ChunkRef[] = [];
    const stored: Promise<void>[] = [];
    for (const hashed of this.ctx.inline.cutWhole(data)) {
      refs.push({ id: hashed.id, size: hashed.data.length });
      stored.push(this.storeChunk(hashed, tally, () => {}, true)); // lent bytes, copied only if kept
    }
    const settled = await Promise.allSettled(stored);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return { contentId: hashContent(data), chunks: refs, size: data.length, ...tally };
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
    const processor = done ? this.ctx.inline : this.chunkerFor(Infinity);
    async function* all(): AsyncGenerator<Uint8Array> {
      yield* head;
      if (done) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield new Uint8Array(next.value);
    }
    return this.ingestBlocks(all(), processor, signal);
  }

  /** Drives one session: writes blocks, stores each finished chunk, bounds the bytes in flight. */
  private async ingestBlocks(blocks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, processor: ChunkProcessor, signal?: AbortSignal): Promise<IngestedContent> {
    const session = processor.openSession();
    const refs: ChunkRef[] = [];
    const tally: Tally = { newChunks: 0, newBytes: 0, storedBytes: 0 };
    let inFlightBytes = 0;
    let tasks = 0;
    let failure: unknown;
    let wake: (() => void) | undefined;
    session.onBlockFree = (block) => {
      if (block.length === this.readBlockPool.bufferBytes) this.readBlockPool.give(block);
    };
    session.onChunks = (chunks) => {
      for (const hashed of chunks) {
        const size = hashed.data.length;
        // A chunk cut on this thread is a view into a read block (or the chunker's carry buffer) that is read into
        // again soon: its bytes are lent to storeChunk, which compresses them at once when it does so on this thread
        // and copies them only to keep them raw or to post them to a worker (storeWhole's rule). A worker's chunks
        // come with their own buffer (a view never spans a whole 1 MiB block). Before, every new chunk cut here was
        // copied first, then compressed into a buffer of its own: a copy of every compressible byte for nothing.
        const view = hashed.data.byteOffset !== 0 || hashed.data.byteLength !== hashed.data.buffer.byteLength;
        refs.push({ id: hashed.id, size });
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
        this.storeChunk(hashed, tally, onSubmitted, view)
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
   * Appends one chunk unless the log has it (or is getting it from a concurrent ingest, which we then wait for until
   * it is queued). `onSubmitted` is called once the chunk no longer needs this ingest's memory (the log holds it, or
   * it was found); the promise resolves once the chunk record is in the log's append queue, in log order: a record
   * appended after it is durable only when it is (one log, one writer, commits in queue order). It is indexed once
   * durable; until then `pending` answers for it.
   */
  private storeChunk(chunk: HashedChunk, tally: Tally, onSubmitted: () => void, lent = false): Promise<void> {
    if (this.ctx.index.has(chunk.id)) return Promise.resolve();
    const key = contentIdHex(chunk.id);
    const running = this.pending.get(key);
    if (running) {
      onSubmitted();
      return running.queued;
    }
    const size = chunk.data.length; // read before the bytes are transferred to a worker
    const compressor = this.compressorFor(size);
    const queued = deferred();
    const entry: PendingChunk = { queued: queued.promise, durable: Promise.resolve(), isQueued: false };
    this.pending.set(key, entry);
    // Lent bytes (a pooled read buffer the caller reads into again once this returns) are used only now: compressed
    // on this thread before the first await, a compressed result being a buffer of its own, and copied only when
    // kept raw. Why: copying every new small file's bytes before compressing them was ~45 MB of copies (and their
    // garbage) for the quick bench corpus. A worker gets its own copy, as before.
    let packedNow: Promise<CompressedChunk> | undefined;
    if (lent) {
      const lentData = chunk.data;
      // An async function's body runs at once, up to its first await: here all of it (a throw becomes a rejection).
      if (compressor === this.ctx.inline) packedNow = (async () => ownBytes(compressChunk(lentData, this.ctx.compression), lentData))();
      else chunk = { id: chunk.id, data: chunk.data.slice() };
    }
    entry.durable = (async () => {
      let position: RecordPosition;
      try {
        const packed = await (packedNow ?? compressor.compress(chunk.data, this.ctx.compression));
        const record: ChunkRecord = { kind: 'chunk', id: chunk.id, codec: packed.codec, size, data: packed.data };
        const input = encodeChunkRecord(record);
        const recordBytes = input.payload[0].length + input.payload[1].length;
        // The log rejects only a too-large record without failing for good; a chunk can never be one (chunker.ts).
        assert(recordBytes <= LIMITS.recordBytesMax, 'chunk record above recordBytesMax');
        await this.reserveUnsynced(recordBytes);
        try {
          const appended = this.ctx.log.append(input); // queued synchronously, in call order
          entry.isQueued = true;
          tally.newChunks++;
          tally.newBytes += size;
          tally.storedBytes += recordBytes;
          onSubmitted();
          queued.resolve();
          position = await appended;
        } finally {
          this.releaseUnsynced(recordBytes);
        }
      } catch (error) {
        queued.reject(error); // no effect once queued; a version that needs it is refused (isStoredOrQueued)
        this.lastChunkFailure = error;
        throw error;
      }
      this.ctx.index.add(chunk.id, { segment: position.segment, offset: position.offset, size });
      this.ctx.noteChunkAppended(position.seq);
    })().finally(() => {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    });
    entry.durable.catch(() => {}); // reported through `queued`, appendRecords, flush() or the log's own failure
    return queued.promise;
  }

  /**
   * Who compresses a chunk of `bytes`: the worker pool whenever compression may run, whichever thread chunked it.
   * Why: deflate is the costliest step of ingest (~70 MB/s per core), and a small file's chunk (hashed here, its
   * file too small to be worth chunking in a worker) compressed on this thread made this thread the bottleneck while
   * the workers idled: 1 s of deflate on it per 400 MB snapshot of mostly small files (docs/store.md "Small files").
   * A chunk stored raw anyway (too small, or compression off) stays here: a round trip for nothing.
   */
  private compressorFor(bytes: number): ChunkProcessor {
    if (this.ctx.compression === 'none' || bytes < LIMITS.compressBytesMin) return this.ctx.inline;
    // A small chunk costs this thread less to compress (zstd, ~0.1 ms per 16 KiB) than to post to a worker and take
    // back (a structured-clone message each way): in a snapshot of many small files, where this thread is the
    // bottleneck, posting them was ~7% of its time (docs/store.md "Small files").
    if (bytes <= LIMITS.compressOnCallerBytesMax) return this.ctx.inline;
    // Until the pool runs, the first few MiB are compressed here: a handful of new chunks is not worth starting it.
    if (!this.ctx.poolStarted() && this.compressedInlineBytes + bytes <= LIMITS.compressInlineBytesBeforePool) {
      this.compressedInlineBytes += bytes;
      return this.ctx.inline;
    }
    return this.ctx.pool();
  }

  /**
   * Who chunks a file of `bytes`: this thread for small ones, and for large ones too while the worker pool has not
   * been started (by compression: compressorFor). Why: a re-snapshot of a large file whose chunks are all stored is
   * CDC and hashing only (~0.5 s of CPU per 100 MiB, docs/store.md "Large files"), and starting the workers cost
   * ~250 ms of CPU each, the block transfers and chunk copies more, while this thread sat idle waiting for them.
   */
  private chunkerFor(bytes: number): ChunkProcessor {
    return bytes <= LIMITS.ingestInlineBytesMax || !this.ctx.poolStarted() ? this.ctx.inline : this.ctx.pool();
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

  /** Settles once a chunk this store is appending now is durable and indexed (or failed); at once if none is. */
  async whenIndexed(id: ContentIdBytes): Promise<void> {
    await this.pending.get(contentIdHex(id))?.durable.catch(() => {});
  }

  /** The chunk appends in flight right now (each settles once its chunk is durable and indexed, or failed). */
  inFlight(): Promise<void>[] {
    return [...this.pending.values()].map((entry) => entry.durable);
  }

  /**
   * The chunk appends already in the log's queue and not yet durable: a record appended after this call is durable
   * only once these are, so its caller can also check that none of them failed (appendRecords does).
   */
  queuedUnsynced(): Promise<void>[] {
    const queued: Promise<void>[] = [];
    for (const entry of this.pending.values()) if (entry.isQueued) queued.push(entry.durable);
    return queued;
  }

  /** Resolves when no chunk append is in flight (each durable and indexed, or failed). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled(this.inFlight());
  }
}

/** `packed` with bytes of its own: a copy when compression kept the `lent` input itself (stored raw). */
function ownBytes(packed: CompressedChunk, lent: Uint8Array): CompressedChunk {
  return packed.data.buffer === lent.buffer ? { codec: packed.codec, data: packed.data.slice() } : packed;
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
 * Reads a file in blocks, each its own ArrayBuffer so it can be transferred to a worker: whole blocks come from
 * `pool` (the session hands them back once chunked), the last one is sized exactly by the bytes stat promised, so
 * small files do not take whole blocks, and a 1-byte read after it sees the end (or that the file grew). Why exact:
 * a block one byte longer (to see the end in the same read) went to the worker as a view, which postMessage cannot
 * transfer and copied instead, with the rest of its buffer (measured: 71 of 100 blocks of the quick bench corpus,
 * 9.5 MB copied on the main thread).
 *
 * One read ahead: the next block is being read while the caller chunks this one. Why: chunking on the calling
 * thread waited for each read in turn (a re-snapshot of a 100 MiB file idled ~150 ms of its ~0.75 s of samples).
 * Reads stay sequential (one in flight) and at most one block more is held; a read still in flight when the caller
 * stops is waited for before the generator returns, so the handle is never closed under it.
 */
async function* readBlocks(handle: FileHandle, path: string, expectedBytes: number, pool: BufferPool): AsyncGenerator<Uint8Array> {
  const readBlock = async (remaining: number): Promise<{ block: Uint8Array; filled: number }> => {
    const block = remaining >= pool.bufferBytes ? pool.take() : uninitializedBytes(Math.max(1, remaining));
    let filled = 0;
    while (filled < block.length) {
      const { bytesRead } = await handle.read(block, filled, block.length - filled, null).catch((error: unknown) => {
        throw wrapIoError(error, 'read', path);
      });
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    INGEST_COUNTERS.bytesRead += filled;
    return { block, filled };
  };
  let remaining = expectedBytes;
  let reading = readBlock(remaining);
  /** The read not yet awaited, if any (the finally waits for it). */
  let inFlight: Promise<unknown> | undefined = reading;
  try {
    for (;;) {
      const { block, filled } = await reading;
      inFlight = undefined;
      remaining = Math.max(0, remaining - filled);
      const full = filled === block.length;
      if (full) {
        reading = readBlock(remaining);
        inFlight = reading;
        reading.catch(() => {}); // observed when awaited above; until then a failure must not count as unhandled
      }
      if (filled > 0) yield full ? block : block.subarray(0, filled);
      if (!full) return;
    }
  } finally {
    await inFlight?.catch(() => {});
  }
}

export type { ContentIdBytes };
