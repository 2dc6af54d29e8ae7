// Durable file-system steps (restic's local backend `Save`): temp file in the same directory, write, fsync, close,
// rename over the target, fsync the directory. A reader of the target never sees a partial file, and once the
// promise resolves the new content survives power loss.
import { randomBytes } from 'node:crypto';
import { constants, writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { wrapIoError } from '../errors.js';
import { LIMITS } from './limits.js';

/** fsync a directory so that entries created, renamed or removed in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some filesystems refuse fsync on a directory (EINVAL); there is nothing stronger to do there.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw wrapIoError(error, 'fsync directory', dir);
  } finally {
    await handle?.close();
  }
}

export const TEMP_MARKER = '.synclog-tmp-';

/** Flags for a new temp file: write only, created here, never an existing file or a link planted at its name. */
export const NEW_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/** Writes all of `data` to `fd` at its current position, synchronously (a short write continues where it stopped). */
export function writeAllSync(fd: number, data: Uint8Array): void {
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
}

/**
 * The temp file name for `name` with a 12-hex-digit `suffix`: `.<name>.synclog-tmp-<suffix>`, hidden and
 * recognisable (a sweep matches the marker and suffix, never the name). When that would exceed one path component
 * (pathComponentBytesMax, 255 bytes), `name` is cut at a character boundary: a file whose own name is near the
 * limit must still get a temp file beside it.
 */
export function tempNameFor(name: string, suffix: string): string {
  const fixedBytes = 1 + TEMP_MARKER.length + Buffer.byteLength(suffix);
  let kept = name;
  if (fixedBytes + Buffer.byteLength(kept) > LIMITS.pathComponentBytesMax) {
    const room = LIMITS.pathComponentBytesMax - fixedBytes;
    kept = '';
    let bytes = 0;
    for (const char of name) {
      const charBytes = Buffer.byteLength(char);
      if (bytes + charBytes > room) break;
      kept += char;
      bytes += charBytes;
    }
  }
  return `.${kept}${TEMP_MARKER}${suffix}`;
}

/** A temp name beside `target`, hidden and recognisable so a crash leftover can be cleaned up safely. */
export function tempPathFor(target: string): string {
  return join(dirname(target), tempNameFor(basename(target), randomBytes(6).toString('hex')));
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Called with the open handle after the data is written and before fsync (e.g. to set times). */
  beforeSync?: (handle: FileHandle) => Promise<void>;
  /** Skip the directory fsync when the caller fsyncs the directory once for many files. */
  skipDirSync?: boolean;
}

/**
 * Writes `data` (bytes or an async iterable of chunks) to `target` atomically and durably.
 * When the promise resolves the file is complete on disk under its final name; on failure the temp file is removed
 * and the target is untouched.
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', options.mode ?? 0o644);
    if (data instanceof Uint8Array) {
      await handle.write(data);
    } else {
      for await (const piece of data) await handle.write(piece);
    }
    if (options.mode !== undefined) await handle.chmod(options.mode); // the umask applied at open
    if (options.beforeSync) await options.beforeSync(handle);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw wrapIoError(error, 'write file', target);
  }
  if (!options.skipDirSync) await fsyncDir(dirname(target));
}
