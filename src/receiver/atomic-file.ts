// The receiver's atomic file write: temp file in the target's folder (created with its mode), data, mtime through
// the descriptor, fsync (or, batched, a wait for the batch's one `sync -f`: durable-batch.ts), close, rename over
// the target. Owns nothing else; never fsyncs the directory (the destination batches those per cursor save).
// Invariant: the rename happens only once the temp's data is durable, so when the promise resolves the target holds
// the whole new content, durable; on failure the temp file is removed and the target is untouched.
// Content comes inline (bytes or a stream the main thread reads) or, from a store, as chunk locations a
// content-writer thread reads, checks and writes into the temp itself (content-writer-pool.ts); the durability and
// the rename are the same either way, and stay here on the main thread.
// Why not util/fs-durable's writeFileAtomic: a catch-up writes thousands of small files, and each FileHandle
// promise call costs a thread-pool round trip plus a FileHandle object to collect. Here only the calls that may
// wait long on the filesystem go to the thread pool through the callback API: open (inode allocation, ~140 µs
// here) and a lone fsync. The rest run inline: write (into the page cache), futimes, fchmod (only when the umask
// changed the mode), close (nothing to flush: no fsync, no truncate) and rename (~30 µs; by then the data is
// already durable, so ext4's replace-on-rename flush has nothing to write). A thread-pool hop costs the main thread
// more than those calls (a futex wake of a pool thread, an epoll wake back, a promise): measured in
// docs/receiver.md "Performance". An all-inline variant was slower in wall time: open blocks on inode allocation.
import { closeSync, fchmodSync, fsync, futimesSync, open, readFileSync, renameSync, rmSync, writevSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { wrapIoError } from '../errors.js';
import { NEW_FILE_FLAGS, tempNameFor, writeAllSync } from '../util/fs-durable.js';
import type { ChunkToWrite, ContentWriterPool } from './content-writer-pool.js';

/** Pieces gathered into one writev, at most this many bytes (larger files are written piece by piece). */
const GATHER_BYTES_MAX = 1024 * 1024;

/** The process umask from /proc (Linux); undefined elsewhere, in which case the mode is always set explicitly. */
function readUmask(): number | undefined {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? parseInt(match[1]!, 8) : undefined;
  } catch {
    return undefined;
  }
}

const UMASK = readUmask();

function call<T>(start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
}

let tempCounter = 0;
const TEMP_PREFIX = Math.floor(Math.random() * 0xffffff)
  .toString(16)
  .padStart(6, '0');

/** Same shape as util/fs-durable's tempPathFor (the sweep recognises it); unique per process, O_EXCL guards the rest. */
function tempPath(target: string): string {
  tempCounter = (tempCounter + 1) % 0x1000000;
  return join(dirname(target), tempNameFor(basename(target), `${TEMP_PREFIX}${tempCounter.toString(16).padStart(6, '0')}`));
}

function writePieces(fd: number, pieces: Uint8Array[]): void {
  if (pieces.length === 1) return writeAllSync(fd, pieces[0]!);
  let total = 0;
  for (const piece of pieces) total += piece.length;
  const written = writevSync(fd, pieces);
  if (written === total) return;
  // A short writev (rare: signals, quotas): finish with plain writes from where it stopped.
  let skip = written;
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    writeAllSync(fd, piece.subarray(skip));
    skip = 0;
  }
}

/** Writes `data` into `fd`, gathering small pieces into one writev. Returns the bytes written. */
async function writeContent(fd: number, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<number> {
  if (data instanceof Uint8Array) {
    writeAllSync(fd, data);
    return data.length;
  }
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  for await (const piece of data) {
    pending.push(piece);
    pendingBytes += piece.length;
    total += piece.length;
    if (pendingBytes >= GATHER_BYTES_MAX) {
      writePieces(fd, pending);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pending.length > 0) writePieces(fd, pending);
  return total;
}

/** A file's content as chunk locations in the log, written by one of `pool`'s threads. */
export interface PooledContent {
  pool: ContentWriterPool;
  chunks: ChunkToWrite[];
  /** The chunks' ids, 32 bytes each (WriteJob.ids). */
  ids: Uint8Array;
}

export type FileContent = Uint8Array | AsyncIterable<Uint8Array> | PooledContent;

function isPooled(data: FileContent): data is PooledContent {
  return 'pool' in data && 'chunks' in data;
}

/** How a write joins a batch (durable-batch.ts): staged for the batch's sync, or (live, quiet log) synced alone. */
export interface BatchedDurability {
  syncEachNow(): boolean;
  /** Resolves once the staged data is durable; rejects (IoError) if the batch's sync failed. */
  stage(bytes: number): Promise<void>;
}

/**
 * Writes `target` atomically and durably with permission bits `mode` (already masked) and mtime `mtimeSeconds`.
 * The directory is not fsynced: the caller does that before it relies on the rename.
 */
export async function writeFileDurable(
  target: string,
  data: FileContent,
  mode: number,
  mtimeSeconds: number,
  /** Batched durability: instead of its own fsync, the closed temp waits for the batch's sync before the rename. */
  batch?: BatchedDurability,
): Promise<void> {
  const temp = tempPath(target);
  const setMode = UMASK === undefined || (mode & UMASK) !== 0;
  // Following a quiet log, a file is synced on its own: a lone fsync is quicker than a syncfs of a busy filesystem.
  const staged = batch !== undefined && !batch.syncEachNow();
  let fd: number | undefined;
  try {
    let bytes: number;
    if (isPooled(data)) {
      // The thread creates, fills, (fsyncs) and closes the temp; on failure it has removed it.
      bytes = await data.pool.write({ target, temp, mode, setMode, mtimeSeconds, fsync: !staged, chunks: data.chunks, ids: data.ids });
    } else {
      fd = await call<number>((done) => open(temp, NEW_FILE_FLAGS, mode, done));
      const opened = fd;
      bytes = await writeContent(opened, data);
      if (setMode) fchmodSync(opened, mode);
      futimesSync(opened, mtimeSeconds, mtimeSeconds);
      if (!staged) await call((done) => fsync(opened, done));
      fd = undefined;
      closeSync(opened);
    }
    // The rename only ever exposes durable data: a crash after it never leaves a partial file at the target.
    if (staged) await batch.stage(bytes);
    renameSync(temp, target);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      rmSync(temp, { force: true });
    } catch {
      // the write's own error is the one to report
    }
    throw wrapIoError(error, 'write file', target);
  }
}
