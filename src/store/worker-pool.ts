// The worker_threads pool that chunks, hashes and compresses off the main thread. Owns the workers, their queues
// and flow control; never touches the log or the index. Invariants: every queue is bounded (a session holds at most
// `sessionBytesMax` unacknowledged bytes; compress jobs beyond `storeWorkerQueueJobsMax` per worker wait), and a
// worker failure rejects every job and session it held instead of hanging them.
import type { Worker } from 'node:worker_threads';
import { ClosedError } from '../errors.js';
import { assert } from '../util/assert.js';
import { deferred, type Deferred } from '../util/deferred.js';
import { LIMITS } from '../util/limits.js';
import { startModuleWorker } from '../util/worker-start.js';
import type { ChunkSizes } from './chunker.js';
import type { CompressedChunk, CompressionMode } from './compress.js';
import type { ChunkProcessor, ChunkSession, HashedChunk, SessionResult } from './chunk-processor.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const WORKER_YOUNG_GENERATION_MB = 4;
/** Chunking a file keeps a worker about as busy as this many queued compress jobs (CDC vs deflate speed, measured). */
const SESSION_JOB_WEIGHT = 4;

/** Starts one chunking worker (chunk-worker.ts). */
function startWorker(sizes: ChunkSizes): Worker {
  // A small young generation: a worker's garbage is chunk-sized buffers, collected often rather than piling up (RSS).
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
  return startModuleWorker(import.meta.url, 'chunk-worker', { workerData: { sizes }, resourceLimits });
}

class PoolWorker {
  readonly worker: Worker;
  jobs = 0;
  sessions = 0;
  constructor(sizes: ChunkSizes, onReply: (reply: WorkerReply) => void, onFailure: (error: unknown) => void) {
    this.worker = startWorker(sizes);
    this.worker.on('message', onReply);
    this.worker.on('error', onFailure);
    this.worker.on('exit', (code) => onFailure(new Error(`store worker exited with code ${code}`)));
    this.worker.unref();
  }
  /** Keeps the process alive while this worker owes answers; an idle pool must not. */
  updateRef(): void {
    if (this.jobs + this.sessions > 0) this.worker.ref();
    else this.worker.unref();
  }
  post(message: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }
}

class WorkerSession implements ChunkSession {
  onChunks: (chunks: HashedChunk[]) => void = () => {};
  onBlockFree: (block: Uint8Array) => void = () => {};
  unacknowledgedBytes = 0;
  readonly done = deferred<SessionResult>();
  private space: Deferred<void> | undefined;
  failed: unknown;

  constructor(
    readonly id: number,
    readonly owner: PoolWorker,
    private readonly release: (session: WorkerSession) => void,
  ) {
    this.done.promise.catch(() => {}); // observed through end()
  }

  async write(block: Uint8Array): Promise<void> {
    if (this.failed) throw this.failed;
    this.unacknowledgedBytes += block.length;
    const own = block.byteOffset === 0 && block.byteLength === block.buffer.byteLength;
    this.owner.post({ op: 'data', session: this.id, block }, own ? [block.buffer as ArrayBuffer] : []);
    while (this.unacknowledgedBytes > LIMITS.ingestInFlightBytesMax / 2 && !this.failed) {
      this.space = deferred<void>();
      await this.space.promise;
    }
    if (this.failed) throw this.failed;
  }

  end(): Promise<SessionResult> {
    if (!this.failed) this.owner.post({ op: 'end', session: this.id });
    return this.done.promise;
  }

  abort(): void {
    this.owner.post({ op: 'abort', session: this.id });
    this.fail(new ClosedError('ingest aborted'));
  }

  acknowledged(bytes: number): void {
    this.unacknowledgedBytes -= bytes;
    this.space?.resolve();
  }

  fail(error: unknown): void {
    if (this.failed) return;
    this.failed = error;
    this.space?.resolve();
    this.done.reject(error);
    this.release(this);
  }

  finish(result: SessionResult): void {
    this.done.resolve(result);
    this.release(this);
  }
}

/** A fixed set of workers; sessions are pinned to the least busy worker, compress jobs go to the shortest queue. */
export class WorkerPool implements ChunkProcessor {
  private readonly workers: PoolWorker[] = [];
  private readonly sessions = new Map<number, WorkerSession>();
  private readonly jobs = new Map<number, Deferred<CompressedChunk> & { owner: PoolWorker }>();
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;
  private closed = false;
  /** Why the last worker died: with none left, every later call fails with it (none waits for a dead worker). */
  private broken: unknown;

  constructor(count: number, sizes: ChunkSizes) {
    assert(count >= 1 && count <= LIMITS.storeWorkersMax, 'worker count out of range');
    for (let i = 0; i < count; i++) {
      const worker: PoolWorker = new PoolWorker(sizes, (reply) => this.onReply(worker, reply), (error) => this.onFailure(worker, error));
      this.workers.push(worker);
    }
  }

  /** Workers alive. */
  get size(): number {
    return this.workers.length;
  }

  openSession(): ChunkSession {
    if (this.closed) throw new ClosedError('store worker pool is closed');
    if (this.workers.length === 0) throw this.broken;
    const owner = this.workers.reduce((a, b) => (b.sessions < a.sessions ? b : a));
    owner.sessions++;
    owner.updateRef();
    const session = new WorkerSession(this.nextId++, owner, (s) => {
      if (this.sessions.delete(s.id)) {
        s.owner.sessions--;
        s.owner.updateRef();
      }
    });
    this.sessions.set(session.id, session);
    owner.post({ op: 'open', session: session.id });
    return session;
  }

  async compress(data: Uint8Array, mode: CompressionMode): Promise<CompressedChunk> {
    while (!this.closed && this.workers.length > 0 && this.jobs.size >= this.workers.length * LIMITS.storeWorkerQueueJobsMax) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.closed) throw new ClosedError('store worker pool is closed');
    if (this.workers.length === 0) throw this.broken;
    // A worker that is chunking a file counts as SESSION_JOB_WEIGHT queued jobs: compression goes to the others first.
    const load = (w: PoolWorker) => w.jobs + w.sessions * SESSION_JOB_WEIGHT;
    const owner = this.workers.reduce((a, b) => (load(b) < load(a) ? b : a));
    const job = { ...deferred<CompressedChunk>(), owner };
    const id = this.nextId++;
    this.jobs.set(id, job);
    owner.jobs++;
    owner.updateRef();
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    owner.post({ op: 'compress', job: id, data, mode }, own ? [data.buffer as ArrayBuffer] : []);
    return job.promise;
  }

  /** Stops the workers; sessions and jobs still open are rejected with ClosedError (never left pending). */
  async close(): Promise<void> {
    if (this.closed) return;
    const workers = [...this.workers];
    for (const worker of workers) this.onFailure(worker, new ClosedError('store worker pool closed'));
    this.closed = true;
    for (const resolve of this.waiting.splice(0)) resolve();
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  private onReply(worker: PoolWorker, reply: WorkerReply): void {
    if (reply.op === 'compressed' || (reply.op === 'error' && reply.job !== undefined)) {
      const id = reply.job!;
      const job = this.jobs.get(id);
      if (!job) return;
      this.jobs.delete(id);
      worker.jobs--;
      worker.updateRef();
      this.waiting.shift()?.();
      if (reply.op === 'compressed') job.resolve({ codec: reply.codec, data: reply.data });
      else job.reject(new Error(`store worker failed: ${reply.message}`));
      return;
    }
    const session = this.sessions.get(reply.session!);
    if (!session) return;
    if (reply.op === 'chunks') {
      // Chunks first: most are views into the block, which is read into again once freed.
      if (reply.chunks.length > 0) session.onChunks(reply.chunks);
      if (reply.block) session.onBlockFree(reply.block);
      session.acknowledged(reply.consumed);
    } else if (reply.op === 'done') {
      session.finish({ contentId: reply.contentId, size: reply.size });
    } else {
      session.fail(new Error(`store worker failed: ${reply.message}`));
    }
  }

  private onFailure(worker: PoolWorker, error: unknown): void {
    if (this.closed) return;
    // A dead worker takes its sessions and jobs with it: fail them loudly, never leave them pending. It leaves the
    // pool too: a message posted to it later would never be answered (a worker that failed to start hung ingest).
    const at = this.workers.indexOf(worker);
    if (at >= 0) this.workers.splice(at, 1);
    if (this.workers.length === 0) this.broken ??= error;
    for (const session of [...this.sessions.values()]) if (session.owner === worker) session.fail(error);
    for (const [id, job] of [...this.jobs]) {
      if (job.owner !== worker) continue;
      this.jobs.delete(id);
      worker.jobs--;
      job.reject(error);
    }
    // Callers waiting for queue room: there is more now (or no worker at all, which they will be told).
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
