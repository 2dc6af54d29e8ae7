// Recognising a log directory (docs/format.md "Directory layout"): the one check every open makes, so that a writer
// never turns a user's folder into a log beside their files and a reader never calls a folder that is no log sound
// or empty. A log is a directory with the marker file `SYNCLOG` (written durably when a writer creates or first opens
// the log), or, for logs made before the marker existed, a file named like a segment or a `durable.seq`.
// Never writes, except ensureLogMarker (writers only, under the lock, after recovery succeeded).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../errors.js';
import { TEMP_MARKER } from '../util/fs-durable.js';
import { LOCK_FILE_NAME, LOG_MARKER_BYTES, LOG_MARKER_FILE_NAME, LOG_MARKER_MAGIC, WATERMARK_FILE_NAME } from './format.js';
import type { LogFileSystem } from './log-fs.js';
import { parseSegmentFileName } from './segment-name.js';

export type LogDirKind = 'missing' | 'empty' | 'log' | 'not-a-log';

/** Files a writer leaves before the marker exists (a lock, an interrupted atomic write): they do not make a folder "used". */
function isOwnLeftover(name: string): boolean {
  return name === LOCK_FILE_NAME || name.startsWith(`${LOCK_FILE_NAME}.`) || (name.startsWith('.') && name.includes(TEMP_MARKER));
}

export async function inspectLogDir(dir: string): Promise<LogDirKind> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => undefined);
  if (isDir === undefined) return 'missing';
  if (!isDir) return 'not-a-log';
  const names = await readdir(dir);
  if (names.includes(LOG_MARKER_FILE_NAME) && (await hasMarker(dir))) return 'log';
  if (names.some((name) => parseSegmentFileName(name) !== undefined || name === WATERMARK_FILE_NAME)) return 'log';
  return names.every(isOwnLeftover) ? 'empty' : 'not-a-log';
}

async function hasMarker(dir: string): Promise<boolean> {
  const bytes = await readFile(join(dir, LOG_MARKER_FILE_NAME)).catch(() => undefined);
  return bytes !== undefined && Buffer.from(LOG_MARKER_MAGIC).equals(bytes.subarray(0, LOG_MARKER_MAGIC.length));
}

/**
 * Throws unless `dir` may be opened as asked: readers need a log (NotFoundError "not a synclog log: DIR", or "no log
 * at DIR" when it does not exist); a writer may also create one in a missing or empty directory.
 */
export async function checkLogDir(dir: string, purpose: 'read' | 'write'): Promise<LogDirKind> {
  const kind = await inspectLogDir(dir);
  if (kind === 'log' || (purpose === 'write' && kind !== 'not-a-log')) return kind;
  if (kind === 'missing') {
    throw new NotFoundError(`no log at ${dir}: the directory does not exist`, { what: 'log', id: dir, reason: 'missing', fix: 'give the log directory with --log DIR (or $SYNCLOG_LOG)' });
  }
  const why = kind === 'empty' ? 'the directory is empty' : 'it holds files but no synclog marker or segments';
  const fix = purpose === 'write' ? 'give a new or empty directory, or an existing synclog log' : 'give the log directory with --log DIR (or $SYNCLOG_LOG)';
  throw new NotFoundError(`not a synclog log: ${dir} (${why})`, { what: 'log', id: dir, reason: kind, fix });
}

/** Writes the marker (temp, fsync, rename, fsync dir) if the log has none: new logs and logs older than the marker. */
export async function ensureLogMarker(dir: string, fs: LogFileSystem): Promise<void> {
  if (await hasMarker(dir)) return;
  await fs.writeFileAtomic(join(dir, LOG_MARKER_FILE_NAME), LOG_MARKER_BYTES);
}
