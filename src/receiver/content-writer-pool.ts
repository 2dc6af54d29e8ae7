// The receiver's content-writer threads (content-writer-worker.ts): the main thread hands each file version's chunk
// locations and a temp path to one of them and gets back the bytes written. Owns the threads, the job queue and the
// balancing; never renames (writeFileDurable does, after the batch's sync).
// Why threads: catching up, the main thread was the bottleneck at ~3 CPU-s per 400 MB; half of it the promise,
// thread-pool and callback round trips of a file's opens and reads, the rest inflate and BLAKE3. A thread doing the
// whole file with synchronous calls pays none of the round trips, and the work spreads over the cores
// (docs/receiver.md "Performance").
// Invariants: every write() settles exactly once (a thread that dies rejects what it held; close() rejects what
// was never sent); jobs posted in one turn of the event loop travel in one message per thread.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ClosedError, deserializeError, serializeError } from '../errors.js';
import { RECEIVER_LIMITS } from '../util/limits.js';
import { startModuleWorker } from '../util/worker-start.js';
import { CONTENT_ID_BYTES } from '../store/index.js';
import type { ChunkRef } from '../record/index.js';
import type { FileContent } from './atomic-file.js';
import type { ChunkToWrite, WorkerData, WorkerMessage, WriteJob, WriteReply } from './content-writer-protocol.js';
import type { ContentTarget, ReceiverSource } from './types.js';

export type { CarriedChunk, ChunkToWrite } from './content-writer-protocol.js';

/** What a job costs a thread beside its bytes (open, futimes, close, the reply): about this many bytes' worth. */
const FILE_COST_BYTES = 64 * 1024;
/**
 * Work handed to one thread and not yet answered, at most (a job larger than this goes alone). Enough to keep it
 * busy across a reply's round trip; the rest waits here, so a thread that finishes early is given the next job
 * instead of another thread's backlog sitting behind a large file.
 */
const THREAD_COST_MAX = 4 * 1024 * 1024;
/** A thread's garbage is chunk-sized buffers: collected often rather than piling up (RSS). */
const WORKER_YOUNG_GENERATION_MB = 8;

interface Pending {
  resolve(bytes: number): void;
  reject(error: unknown): void;
  cost: number;
}

class WriterThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** Bytes (plus per-file cost) of the jobs sent and not yet answered. */
  load = 0;
  /** Resolves once the thread has loaded its modules (or has died: then its jobs fail on their own). */
  readonly ready: Promise<void>;

  constructor(logDir: string | undefined, onReplies: (thread: WriterThread, replies: WriteReply[]) => void, onExit: (thread: WriterThread, error: Error) => void) {
    const workerData: WorkerData = { logDir };
    this.worker = startModuleWorker(import.meta.url, 'content-writer-worker', { workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.worker.on('message', (message: WorkerMessage) => (Array.isArray(message) ? onReplies(this, message) : markReady()));
    this.worker.on('error', (error) => onExit(this, error));
    this.worker.on('exit', (code) => {
      markReady();
      onExit(this, new Error(`content-writer thread exited with code ${code}`));
    });
    this.worker.unref();
  }

  /** Keeps the process alive only while this thread owes answers. */
  updateRef(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}

export class ContentWriterPool {
  private readonly threads: WriterThread[] = [];
  /** Jobs not yet handed to a thread, oldest first. */
  private readonly queue: { job: WriteJob; pending: Pending }[] = [];
  private nextJob = 0;
  private dispatchScheduled = false;
  private failure: Error | undefined;

  /** Bytes of content offered to the pool before its threads started (see `takes`). */
  private offeredBytes = 0;

  private constructor(
    private readonly logDir: string | undefined,
    private readonly size: number,
    private readonly startAfterBytes: number,
    /** ready() starts the threads (false: only content offered does). */
    private readonly startWhenReady: boolean,
  ) {}

  /**
   * A pool over the log in `logDir`. Its threads start once `startAfterBytes` of content have been offered to it
   * (`takes`), or at `ready()`: a thread costs ~0.25 CPU-s to start (modules, the BLAKE3 addon, zstd's wasm), more
   * than the main thread spends writing a few tens of MB itself, so a small catch-up or checkout is done without
   * them (measured: 0.3 s of a 1.3 s catch-up of a 24 MB tree on 2 cores). A follower calls ready() once caught up,
   * so the first live change does not pay for the start. 0 starts them now. Without `logDir` (a remote receiver),
   * every job's chunks are carried (CarriedChunk). `startWhenReady: false`: ready() does not start them either
   * (a remote follower: twenty of them on one machine would each hold idle threads, ~0.25 CPU-s and tens of MB each).
   */
  static create(logDir: string | undefined, options: { threads?: number; startAfterBytes?: number; startWhenReady?: boolean } = {}): ContentWriterPool {
    const pool = new ContentWriterPool(logDir, Math.max(1, options.threads ?? defaultThreads()), options.startAfterBytes ?? RECEIVER_LIMITS.contentWritersStartBytes, options.startWhenReady ?? true);
    if (pool.startAfterBytes === 0) pool.startThreads();
    return pool;
  }

  /**
   * Whether the pool writes a file of `bytes` (false: the caller writes it on the main thread). Once the content
   * offered passes startAfterBytes the threads start and take everything from then on.
   */
  takes(bytes: number): boolean {
    if (this.threads.length > 0) return true;
    if (this.failure) return false;
    this.offeredBytes += bytes;
    if (this.offeredBytes < this.startAfterBytes) return false;
    this.startThreads();
    return true;
  }

  /** Writes `temp` from `chunks` (see WriteJob); resolves with the bytes written, or rejects (the temp is gone). */
  write(job: Omit<WriteJob, 'job'>): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const full: WriteJob = { ...job, job: this.nextJob++ };
    const cost = FILE_COST_BYTES + full.chunks.reduce((sum: number, chunk: ChunkToWrite) => sum + chunk.size, 0);
    const result = new Promise<number>((resolve, reject) => this.queue.push({ job: full, pending: { resolve, reject, cost } }));
    this.scheduleDispatch();
    return result;
  }

  /**
   * Resolves once every thread has started (loaded its modules, warmed up zlib and BLAKE3). Writes never need to
   * wait for it; a follower does, so its first live change is not the one that pays for the start.
   */
  async ready(): Promise<void> {
    if (this.threads.length === 0 && !this.failure && this.startWhenReady) this.startThreads();
    await Promise.all(this.threads.map((thread) => thread.ready));
  }

  /** Stops the threads; a write not yet answered rejects with ClosedError. */
  async close(): Promise<void> {
    this.failure ??= new ClosedError('the receiver is closing');
    const threads = this.threads.splice(0);
    for (const thread of threads) this.failThread(thread, this.failure);
    for (const { pending } of this.queue.splice(0)) pending.reject(this.failure);
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private startThreads(): void {
    for (let i = 0; i < this.size; i++) {
      this.threads.push(
        new WriterThread(
          this.logDir,
          (thread, replies) => this.onReplies(thread, replies),
          (thread, error) => this.onThreadExit(thread, error),
        ),
      );
    }
  }

  private leastLoaded(): WriterThread {
    let best = this.threads[0]!;
    for (const thread of this.threads) if (thread.load < best.load) best = thread;
    return best;
  }

  /** Jobs posted in one turn of the event loop travel together: one message per thread. */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /** Hands queued jobs to the threads with room, least loaded first. */
  private dispatch(): void {
    if (this.failure) return;
    const outboxes = new Map<WriterThread, WriteJob[]>();
    while (this.queue.length > 0) {
      const thread = this.leastLoaded();
      if (thread.load > 0 && thread.load + this.queue[0]!.pending.cost > THREAD_COST_MAX) break;
      const { job, pending } = this.queue.shift()!;
      thread.pending.set(job.job, pending);
      thread.load += pending.cost;
      let outbox = outboxes.get(thread);
      if (!outbox) outboxes.set(thread, (outbox = []));
      outbox.push(job);
    }
    for (const [thread, jobs] of outboxes) {
      try {
        thread.worker.postMessage(jobs, transferablesOf(jobs));
      } catch (error) {
        // A job that cannot be cloned (a bug): fail these jobs, not the process from inside setImmediate.
        this.onReplies(thread, jobs.map((job) => ({ job: job.job, error: serializeError(error) })));
        continue;
      }
      thread.updateRef();
    }
  }

  private onReplies(thread: WriterThread, replies: WriteReply[]): void {
    for (const reply of replies) {
      const pending = thread.pending.get(reply.job);
      if (!pending) continue;
      thread.pending.delete(reply.job);
      thread.load -= pending.cost;
      if ('error' in reply) pending.reject(deserializeError(reply.error));
      else pending.resolve(reply.bytes);
    }
    thread.updateRef();
    if (this.queue.length > 0) this.dispatch();
  }

  /** A thread that died (a bug, or out of memory) fails what it held and every later write. */
  private onThreadExit(thread: WriterThread, error: Error): void {
    if (!this.threads.includes(thread)) return; // closing: already failed
    this.failure ??= error;
    this.failThread(thread, error);
    for (const { pending } of this.queue.splice(0)) pending.reject(this.failure);
  }

  private failThread(thread: WriterThread, error: Error): void {
    for (const pending of thread.pending.values()) pending.reject(error);
    thread.pending.clear();
    thread.load = 0;
    thread.updateRef();
  }
}

/**
 * The carried chunks' buffers that can be moved to the thread instead of copied: those a chunk's bytes span whole
 * (a view into a larger buffer would move, or copy, all of it). Copying them was the main thread's largest cost in
 * a remote catch-up's main thread (1.1 of 10 s, quick bench corpus).
 */
function transferablesOf(jobs: readonly WriteJob[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const job of jobs) {
    for (const chunk of job.chunks) {
      if (!('bytes' in chunk)) continue;
      const { buffer, byteOffset, byteLength } = chunk.bytes;
      if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength && byteLength > 0) buffers.add(buffer);
    }
  }
  return [...buffers];
}

function defaultThreads(): number {
  return Math.min(RECEIVER_LIMITS.contentWritersMax, availableParallelism());
}

/**
 * A file version's content for Destination.writeFile: chunk locations for `pool`'s threads when the source can say
 * where chunks are (a store), or the chunks themselves when it can carry them (a remote source, for a file of at
 * most carriedFileBytesMax: a job holds all of its chunks), else the source's own stream (read on the main thread).
 */
export function contentProvider(
  source: ReceiverSource,
  pool: ContentWriterPool | undefined,
): (chunks: readonly ChunkRef[], target?: ContentTarget) => () => FileContent | Promise<FileContent> {
  const locate = source.locateChunks?.bind(source);
  const carry = source.carryContent?.bind(source);
  if (!pool || (!locate && !carry)) return (chunks, target) => () => source.readContent(chunks, target);
  return (chunks, target) => {
    let bytes = 0;
    for (const chunk of chunks) bytes += chunk.size;
    if ((!locate && bytes > RECEIVER_LIMITS.carriedFileBytesMax) || !pool.takes(bytes)) return () => source.readContent(chunks, target);
    return () => (locate ? viaPool(chunks) : carried(chunks, target));
  };
  async function carried(chunks: readonly ChunkRef[], target: ContentTarget | undefined): Promise<FileContent> {
    const toWrite = await carry!(chunks, target);
    return { pool: pool!, chunks: toWrite, ids: idsOf(chunks) };
  }
  async function viaPool(chunks: readonly ChunkRef[]): Promise<FileContent> {
    const locations = await locate!(chunks);
    const toWrite = chunks.map((chunk, i): ChunkToWrite => {
      const where = locations[i]!;
      return { segment: where.segment, offset: where.offset, storedSize: where.size, size: chunk.size };
    });
    return { pool: pool!, chunks: toWrite, ids: idsOf(chunks) };
  }
}

/** The chunks' ids back to back in a buffer of their own (WriteJob.ids). */
function idsOf(chunks: readonly ChunkRef[]): Uint8Array {
  const ids = new Uint8Array(chunks.length * CONTENT_ID_BYTES);
  chunks.forEach((chunk, i) => ids.set(chunk.id, i * CONTENT_ID_BYTES));
  return ids;
}
