// Which paths a root never records: gitignore-syntax patterns (the `ignore` package) from the options and
// --exclude, plus the root's own `.synclogignore`, plus — always — the log's own directory and synclog's temp files.
// Invariant: the log directory is excluded whatever the patterns say (watching it would record its own writes
// forever).
import ignore, { type Ignore } from 'ignore';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { LimitError, wrapIoError } from '../errors.js';
import { TEMP_MARKER } from '../util/fs-durable.js';
import { WATCH_LIMITS } from '../util/limits.js';

export const IGNORE_FILE_NAME = '.synclogignore';

export interface ExcludeMatcher {
  /** True when the entry at `absolutePath` (inside the root) must not be recorded or watched. */
  excludes(absolutePath: string, isDirectory?: boolean): boolean;
  /** Same for a '/'-separated path relative to the root. */
  excludesRelative(relativePath: string, isDirectory?: boolean): boolean;
}

/** Reads a root's .synclogignore (absent: no patterns). */
export async function readIgnoreFile(rootPath: string): Promise<string[]> {
  const file = join(rootPath, IGNORE_FILE_NAME);
  try {
    const info = await stat(file);
    if (info.size > WATCH_LIMITS.ignoreFileBytesMax) {
      throw new LimitError(`${file} is larger than ${WATCH_LIMITS.ignoreFileBytesMax} bytes`, {
        limit: 'ignoreFileBytesMax',
        value: info.size,
        max: WATCH_LIMITS.ignoreFileBytesMax,
      });
    }
    return (await readFile(file, 'utf8')).split(/\r?\n/);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw wrapIoError(error, 'read ignore file', file);
  }
}

/** Relative '/'-separated form of `absolutePath` below `base`, or undefined when it is not strictly below. */
function below(base: string, absolutePath: string): string | undefined {
  // Fast path (chokidar asks for every entry each time it re-lists a directory): a plain prefix needs no normalising.
  const plain = !absolutePath.includes('/.', base.length) && !absolutePath.includes('//', base.length) && !absolutePath.endsWith('/');
  if (sep === '/' && plain && absolutePath.length > base.length + 1 && absolutePath.startsWith(base) && absolutePath[base.length] === '/') {
    return absolutePath.slice(base.length + 1);
  }
  const rel = relative(base, absolutePath);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/**
 * Builds the matcher for one root. `logPath` is excluded when it lies inside the root (and so is everything in it).
 * Pure apart from its inputs: pass the ignore-file lines already read.
 */
export function createExcludeMatcher(rootPath: string, logPath: string, patterns: readonly string[]): ExcludeMatcher {
  const matcher: Ignore = ignore({ allowRelativePaths: true, ignorecase: false }).add([...patterns]);
  const logInside = below(rootPath, logPath);
  const excludesRelative = (rel: string, isDirectory?: boolean): boolean => {
    if (logInside !== undefined && (rel === logInside || rel.startsWith(`${logInside}/`))) return true;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    // Atomic-write temp files (ours and the stat cache's) are never a version of anything.
    if (name.includes(TEMP_MARKER)) return true;
    if (matcher.ignores(rel)) return true;
    return isDirectory === true && matcher.ignores(`${rel}/`);
  };
  return {
    excludesRelative,
    excludes(absolutePath, isDirectory) {
      const rel = below(rootPath, absolutePath);
      // The root itself is never excluded; anything outside it is not ours to record.
      if (rel === undefined) return absolutePath !== rootPath;
      return excludesRelative(rel, isDirectory);
    },
  };
}
