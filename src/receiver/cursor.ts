// The receiver's cursor and lock, kept with the destination in `<dest>/.synclog-receiver/`.
// cursor.json says how far the destination is applied (`nextSeq`), in which mode, from which log, and how far the
// receiver may have written beyond it (`reservedUntilSeq`: the replay window after a crash). It is written
// atomically (writeFileAtomic) and only after the data it covers is durable. The lock keeps two receivers off one
// destination. Never does: guess a cursor from a damaged file (that is a CorruptionError naming the file).
import { mkdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { CorruptionError, UsageError, wrapIoError } from '../errors.js';
import { writeFileAtomic } from '../util/fs-durable.js';
import { RECEIVER_LIMITS } from '../util/limits.js';
import { RECEIVER_MODES, type ReceiverMode } from './types.js';
import { acquireFileLock } from '../log/index.js';

export const CURSOR_FILE = 'cursor.json';
export const LOCK_FILE = 'lock';
export const CURSOR_FORMAT = 1;

export interface ReceiverCursor {
  format: typeof CURSOR_FORMAT;
  mode: ReceiverMode;
  /** The log this destination follows (absolute, real path). */
  logDir: string;
  /** Every record with a smaller seq is applied and durable. */
  nextSeq: number;
  /** Records below this may have been (partly) applied: after a crash, [nextSeq, reservedUntilSeq) is replayed. */
  reservedUntilSeq: number;
  /** all-versions: bytes of manifest.jsonl that belong to records below nextSeq (the rest is cut on open). */
  manifestBytes: number;
  savedAt: string;
}

function isCursor(value: unknown): value is ReceiverCursor {
  const v = value as Partial<ReceiverCursor> | null;
  const count = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.format === CURSOR_FORMAT &&
    (RECEIVER_MODES as readonly string[]).includes(v.mode as string) &&
    typeof v.logDir === 'string' &&
    count(v.nextSeq) &&
    count(v.reservedUntilSeq) &&
    count(v.manifestBytes) &&
    v.reservedUntilSeq! >= v.nextSeq!
  );
}

/** Reads the cursor; undefined when the destination has none yet. */
export async function readCursor(stateDir: string): Promise<ReceiverCursor | undefined> {
  const file = join(stateDir, CURSOR_FILE);
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > RECEIVER_LIMITS.cursorFileBytesMax) throw new CorruptionError(`receiver cursor ${file} is too large`, { file, reason: 'cursor-too-large' });
    text = bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw wrapIoError(error, 'read cursor', file);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!isCursor(value)) throw new CorruptionError(`receiver cursor ${file} is damaged`, { file, reason: 'bad-cursor' });
  return value;
}

/** Writes the cursor atomically and durably. The caller has made everything it covers durable first. */
export async function writeCursor(stateDir: string, cursor: Omit<ReceiverCursor, 'format' | 'savedAt'>): Promise<void> {
  const full: ReceiverCursor = { format: CURSOR_FORMAT, ...cursor, savedAt: new Date().toISOString() };
  await writeFileAtomic(join(stateDir, CURSOR_FILE), Buffer.from(JSON.stringify(full, null, 2) + '\n'));
}

/**
 * Checks that a saved cursor fits what is asked now; a mismatch is a UsageError (never silently re-applied). The
 * saved cursor belongs to this run: same mode, same log, and (when the source knows its head cheaply: a remote
 * log) not past the log's end. Each refusal says what to do.
 */
export function checkCursorFits(cursor: ReceiverCursor, mode: ReceiverMode, logDir: string, dest: string, headSeq?: number): void {
  if (cursor.mode !== mode) {
    throw new UsageError(`${dest} was received in mode '${cursor.mode}', not '${mode}'`, {
      dest,
      savedMode: cursor.mode,
      requestedMode: mode,
      fix: `use --mode ${cursor.mode}, or another --out`,
    });
  }
  // A remote log's identity is its id (src/net: not a path); a local one's is its real path.
  const remote = (identity: string) => !isAbsolute(identity);
  if (cursor.logDir !== logDir) {
    const fix = remote(cursor.logDir)
      ? `this destination was received from another log (${cursor.logDir}, from a server); receive from the server that serves it, or into another --out`
      : `use --log ${cursor.logDir}, or another --out`;
    throw new UsageError(`${dest} follows the log ${cursor.logDir}, not ${logDir}`, { dest, savedLog: cursor.logDir, requestedLog: logDir, fix });
  }
  if (headSeq !== undefined && cursor.nextSeq > headSeq) {
    throw new UsageError(`${dest} has received the records of ${logDir} up to seq ${cursor.nextSeq}, but that log now ends at seq ${headSeq}`, {
      dest,
      savedNextSeq: cursor.nextSeq,
      headSeq,
      fix: 'the log was cut back or replaced by an older copy under the same identity: receive it into another --out (a new, empty destination); this one stays as it was',
    });
  }
}


/**
 * Takes the destination lock (one receiver per destination), with the log writer's rules: created exclusively,
 * and a lock left by a dead process on this host (gone, or its pid now another process's) taken over race-safely.
 * Returns the release function.
 */
export async function lockDestination(stateDir: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true });
  const lock = await acquireFileLock(join(stateDir, LOCK_FILE), (who) => `another receiver (${who}) is writing to this destination`);
  return () => lock.release();
}
