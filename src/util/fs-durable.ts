// Durable file-system steps (restic's local backend `Save`): temp file in the same directory, write, fsync, close,
// rename over the target, fsync the directory. A reader of the target never sees a partial file, and once the
// promise resolves the new content survives power loss.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { wrapIoError } from '../errors.js';

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

/** A temp name beside `target`, hidden and recognisable so a crash leftover can be cleaned up safely. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.synclog-tmp-${randomBytes(6).toString('hex')}`);
}

export const TEMP_MARKER = '.synclog-tmp-';

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
