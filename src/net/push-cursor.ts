// The pusher's cursor and its queue (docs/protocol.md "Push", "The outbox"): the local log is the durable outbox and
// `push-cursor.json` beside its segments says, per server log, the seq from which its records are not yet
// acknowledged as durable there. Owns that file's format and the queue measurement `synclog status` shows.
// Invariant: the cursor is written (temp, fsync, rename) only after the server answered that the records before it
// are durable, so a crash at any point makes the pusher send again what may already be there, never skip anything.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wrapIoError } from '../errors.js';
import { initChecksum, Log } from '../log/index.js';
import { decodeRecord, RECORD_TAGS } from '../record/index.js';
import { writeFileAtomic } from '../util/fs-durable.js';

export const PUSH_CURSOR_FILE_NAME = 'push-cursor.json';
const CURSOR_FORMAT = 1;
const CURSOR_BYTES_MAX = 1 << 20;

export interface PushTarget {
  /** The server's log id (the cursor means nothing for another log, even at the same URL). */
  serverLogId: string;
  url: string;
  /** The first local seq not yet acknowledged by that server. */
  nextSeq: number;
  savedAtMs: number;
}

interface CursorFile {
  format: number;
  targets: PushTarget[];
}

/** Every server this log has pushed to (empty when it never pushed). An unreadable file is an error, not "empty". */
export async function readPushTargets(logDir: string): Promise<PushTarget[]> {
  const path = join(logDir, PUSH_CURSOR_FILE_NAME);
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > CURSOR_BYTES_MAX) throw new Error(`larger than ${CURSOR_BYTES_MAX} bytes`);
    text = bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw wrapIoError(error, 'read push cursor', path);
  }
  const parsed = JSON.parse(text) as Partial<CursorFile>;
  if (parsed.format !== CURSOR_FORMAT || !Array.isArray(parsed.targets)) throw wrapIoError(new Error(`not a push cursor of format ${CURSOR_FORMAT}`), 'read push cursor', path);
  return parsed.targets.filter((t) => typeof t.serverLogId === 'string' && Number.isSafeInteger(t.nextSeq) && t.nextSeq >= 0);
}

/** Saves `target` (replacing the entry for its server log), durably. Callers serialize their saves. */
export async function savePushTarget(logDir: string, target: PushTarget): Promise<void> {
  const targets = (await readPushTargets(logDir)).filter((t) => t.serverLogId !== target.serverLogId);
  targets.push(target);
  const body: CursorFile = { format: CURSOR_FORMAT, targets };
  await writeFileAtomic(join(logDir, PUSH_CURSOR_FILE_NAME), Buffer.from(`${JSON.stringify(body, null, 2)}\n`));
}

/** What waits to be pushed: the records from a cursor to the log's durable end. */
export interface PushQueue {
  fromSeq: number;
  endSeq: number;
  records: number;
  /** Payload bytes of those records (chunks included: an upper bound of what pushing them sends). */
  bytes: number;
  /** When the oldest waiting change was recorded (ms since the epoch), if any change waits. */
  oldestTimeMs?: number;
}

/** Reads the log from `fromSeq` to its durable end (chunks are counted, not decoded). */
export async function measurePushQueue(logDir: string, fromSeq: number): Promise<PushQueue> {
  await initChecksum(); // the log's frame checksums (xxhash's wasm) load asynchronously
  const log = await Log.open(logDir, { readOnly: true });
  try {
    const queue: PushQueue = { fromSeq, endSeq: fromSeq, records: 0, bytes: 0 };
    for await (const entry of log.read({ fromSeq, lendTags: [RECORD_TAGS.chunk] })) {
      queue.records++;
      queue.bytes += entry.payload.length;
      queue.endSeq = entry.seq + 1;
      if (queue.oldestTimeMs === undefined && (entry.tag === RECORD_TAGS.version || entry.tag === RECORD_TAGS.delete)) {
        const record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
        if (record.kind === 'version' || record.kind === 'delete') queue.oldestTimeMs = record.time;
      }
    }
    queue.endSeq = Math.max(queue.endSeq, log.nextDurableSeq);
    return queue;
  } finally {
    await log.close();
  }
}
