// The file operations that make the writer's bytes durable, behind one small interface: the seam for fault
// injection (LevelDB's FaultInjectionTestEnv). The real implementation is the only one used in normal operation;
// a test passes its own (LogOptions.fileSystem) that does the same and records what each call made durable, so a
// simulated power cut can drop exactly what was written but not yet synced (tests/fault/fault-fs.mjs).
// Invariant: every fsync, fdatasync, truncate and new file of the log's writer goes through here, with two exceptions
// a power cut cannot hurt: the lock (lock.ts fsyncs its bytes before it links the name, and a lost LOCK is a free one)
// and the create of durable.seq (and its cut of a foreign, oversized file; its directory fsync and fdatasyncs do come
// through here).
import { fdatasync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fsyncDir, writeFileAtomic } from '../util/fs-durable.js';

export interface LogFileSystem {
  /** A new file, complete or absent: temp, fsync, rename; then the directory fsync unless skipDirSync. */
  writeFileAtomic(path: string, bytes: Uint8Array, options?: { skipDirSync?: boolean }): Promise<void>;
  /** fdatasync of an open file; `path` names it. */
  datasync(handle: FileHandle, path: string): Promise<void>;
  /** fdatasync of a file opened with the synchronous API (the durable watermark). */
  datasyncFd(fd: number, path: string): Promise<void>;
  truncate(handle: FileHandle, path: string, length: number): Promise<void>;
  /** fsync a directory: entries created, renamed or removed in it become durable. */
  syncDir(dir: string): Promise<void>;
}

const fdatasyncAsync = promisify(fdatasync);

export const REAL_LOG_FILE_SYSTEM: LogFileSystem = {
  writeFileAtomic: (path, bytes, options) => writeFileAtomic(path, bytes, options),
  datasync: (handle) => handle.datasync(),
  datasyncFd: (fd) => fdatasyncAsync(fd),
  truncate: (handle, _path, length) => handle.truncate(length),
  syncDir: (dir) => fsyncDir(dir),
};
