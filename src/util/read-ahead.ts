// Read-ahead: warms the page cache for files a caller is about to read, in a worker thread, so that the caller's own
// reads (the store's synchronous small-file reads, on the main thread) find the bytes in memory instead of waiting
// for the disk one file at a time. A hint only: what the worker reads is thrown away, a file it could not read or
// has not reached yet is simply read cold by the caller, and nothing the caller records depends on it. It must never
// open anything but a regular file (lstat first: no FIFO, device or symlink is opened) and never run more than
// `readAheadBytesMax` bytes ahead of what the caller has finished with (so it does not push out of the page cache
// what it warmed before the caller got there).
// Why: on a cold page cache the main thread of an initial snapshot of the quick bench corpus spent ~0.35 s of ~2.4 s
// blocked in read(2), with the disk idle while it hashed and compressed (docs/store.md "Read-ahead").
import type { Worker } from 'node:worker_threads';
import { LIMITS } from './limits.js';
import { startModuleWorker } from './worker-start.js';

/** Slots of the shared control array (Int32). */
export const READ_AHEAD_SLOT = {
  /** Bytes warmed and not yet finished with by the caller: the worker adds, the caller subtracts. */
  aheadBytes: 0,
} as const;

/** Entry states in a lane's shared array (after its slot 0, the caller's count of finished entries). */
export const READ_AHEAD_ENTRY = { queued: 0, warmed: 1, done: 2 } as const;

/** The message that ends the worker. */
export const READ_AHEAD_STOP = 'stop';
/** How long close() waits for the worker to end itself before terminating it. */
const READ_AHEAD_STOP_WAIT_MS = 2000;

/** What the worker gets for one lane. */
export interface ReadAheadLaneMessage {
  paths: readonly string[];
  /** Int32: [0] entries the caller finished with, [1 + i] entry i's state (READ_AHEAD_ENTRY). */
  state: SharedArrayBuffer;
  /** Int32: bytes the worker warmed of entry i (written before it marks the entry warmed). */
  sizes: SharedArrayBuffer;
}

export interface ReadAheadWorkerData {
  control: SharedArrayBuffer;
  aheadBytesMax: number;
  fileBytesMax: number;
}

/**
 * The files of one batch, in the order the caller means to read them. The caller says `done(i)` once it finished
 * with entry i (read it, or decided not to) and `close()` when the batch is over (every entry then counts as done).
 */
export class ReadAheadLane {
  private readonly state: Int32Array;
  private readonly sizes: Int32Array;
  private closed = false;

  constructor(
    private readonly control: Int32Array,
    readonly message: ReadAheadLaneMessage,
  ) {
    this.state = new Int32Array(message.state);
    this.sizes = new Int32Array(message.sizes);
  }

  /** Entry `index` is finished with: the worker skips it if it has not reached it, and its bytes leave the budget. */
  done(index: number): void {
    if (index < 0 || index >= this.sizes.length) return;
    const before = Atomics.exchange(this.state, 1 + index, READ_AHEAD_ENTRY.done);
    if (before === READ_AHEAD_ENTRY.done) return;
    Atomics.add(this.state, 0, 1);
    if (before === READ_AHEAD_ENTRY.warmed) {
      Atomics.sub(this.control, READ_AHEAD_SLOT.aheadBytes, Atomics.load(this.sizes, index));
      Atomics.notify(this.control, READ_AHEAD_SLOT.aheadBytes);
    }
  }

  /** The batch is over: every entry still open is done (so none holds budget), and the worker drops the lane. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let index = 0; index < this.sizes.length; index++) this.done(index);
  }
}

/**
 * One read-ahead worker for a caller (a watcher's pipeline). Started on the first lane, stopped by `close()`; it
 * never keeps the process alive.
 */
export class ReadAhead {
  private worker: Worker | undefined;
  private failed = false;
  private readonly controlBuffer = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  private readonly control = new Int32Array(this.controlBuffer);

  constructor(
    private readonly options: { aheadBytesMax: number; fileBytesMax: number } = {
      aheadBytesMax: LIMITS.readAheadBytesMax,
      fileBytesMax: LIMITS.ingestInlineBytesMax,
    },
  ) {}

  /**
   * Asks for `paths` (absolute, in read order) to be warmed; undefined when the worker could not start (then the
   * caller reads cold, as without read-ahead). Entries are numbered as in `paths`.
   */
  lane(paths: readonly string[]): ReadAheadLane | undefined {
    const worker = this.start();
    if (!worker) return undefined;
    const message: ReadAheadLaneMessage = {
      paths,
      state: new SharedArrayBuffer((1 + paths.length) * Int32Array.BYTES_PER_ELEMENT),
      sizes: new SharedArrayBuffer(Math.max(1, paths.length) * Int32Array.BYTES_PER_ELEMENT),
    };
    const lane = new ReadAheadLane(this.control, message);
    worker.postMessage(message);
    return lane;
  }

  /** Bytes warmed and not yet finished with (for tests: it never exceeds the bound by more than one file). */
  get aheadBytes(): number {
    return Atomics.load(this.control, READ_AHEAD_SLOT.aheadBytes);
  }

  /**
   * Stops the worker: it is asked to end itself once it has looked at its message queue (within its slice, ~20 ms),
   * which costs this thread a message; terminate() cost it ~10 ms at the end of every snapshot. The promise resolves
   * once the worker is gone, with its exit code (0: it ended by itself; undefined: there was none).
   */
  async close(): Promise<number | undefined> {
    const worker = this.worker;
    this.worker = undefined;
    this.failed = true;
    if (!worker) return undefined;
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    worker.postMessage(READ_AHEAD_STOP);
    // A worker that did not end by itself (it cannot, short of a bug) is stopped the hard way.
    const fallback = setTimeout(() => void worker.terminate(), READ_AHEAD_STOP_WAIT_MS);
    fallback.unref();
    const code = await exited;
    clearTimeout(fallback);
    return code;
  }

  /**
   * Starts the worker now, if it is not running, so that it is ready when the first lane comes (it takes ~50 ms of
   * CPU to start: a scan that has found many files to read calls this while it still walks).
   */
  prepare(): void {
    this.start();
  }

  private start(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    try {
      const workerData: ReadAheadWorkerData = { control: this.controlBuffer, ...this.options };
      const worker = startModuleWorker(import.meta.url, 'read-ahead-worker', { workerData });
      worker.unref();
      // A hint that failed is no read-ahead: the caller's own reads are unaffected.
      const fail = () => {
        this.failed = true;
        if (this.worker === worker) this.worker = undefined;
      };
      worker.on('error', fail);
      worker.on('exit', fail);
      this.worker = worker;
    } catch {
      this.failed = true;
    }
    return this.worker;
  }
}
