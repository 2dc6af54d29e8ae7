// How a synclog log maps onto a NATS JetStream stream (docs/jetstream.md is the authority; this file is the code
// home of its names and numbers). Pure: builds and checks subjects, headers, message ids and the stream's
// description; nothing here does I/O. Invariant: one log record is one message whose body is the record's frame byte
// for byte, and the message's stream sequence is the record's seq + 1, so a stream holds a log from seq 0 densely.
import { CorruptionError, NetError, UsageError } from '../errors.js';
import { decodeFrame, FRAME_FLAGS, parseSegmentFileName, segmentFileName, type LogEntry } from '../log/index.js';
import { RECORD_TAGS } from '../record/index.js';

/** The mapping's version: every message carries it (`Synclog-JetStream`), and a reader refuses one it does not know. */
export const JETSTREAM_MAPPING_VERSION = 1;

export const JS_HEADERS = {
  mapping: 'Synclog-JetStream',
  logId: 'Synclog-Log-Id',
  seq: 'Synclog-Seq',
  tag: 'Synclog-Tag',
  segment: 'Synclog-Segment',
  offset: 'Synclog-Offset',
  salt: 'Synclog-Salt',
  /** On each frame of an atomic group: the seq of the group's last frame (a reader holds the group until then). */
  groupLast: 'Synclog-Group-Last',
} as const;

/** Stream names: what NATS allows in a subject token and a stream name, kept to a portable subset. */
const STREAM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const SALT_PATTERN = /^[0-9a-f]{16}$/;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,15})$/;
const DESCRIPTION_PATTERN = /^synclog log (\d+-[0-9a-f]{16}) \(mapping (\d+)\)$/;

export function checkStreamName(name: string): string {
  if (!STREAM_NAME_PATTERN.test(name)) {
    throw new UsageError(`stream name ${JSON.stringify(name)} is not 1-64 letters, digits, '_' or '-'`, { fix: 'give --stream a name like notes or site-a_logs' });
  }
  return name;
}

/** Every subject of the stream: `synclog.<stream>.>` (the stream's only subject filter). */
export function streamSubjects(stream: string): string {
  return `synclog.${stream}.>`;
}

/** Records that are not chunks (versions, deletes, watch markers, params): what a receiver reads in order. */
export function recordSubject(stream: string): string {
  return `synclog.${stream}.rec`;
}

/** A chunk record: one subject per chunk id, so a follower fetches a chunk it lacks by subject (last by subject). */
export function chunkSubject(stream: string, idHex: string): string {
  return `synclog.${stream}.chunk.${idHex}`;
}

/** The subject a record is published on. A chunk record's id is read from its payload by the caller. */
export function subjectFor(stream: string, tag: number, chunkIdHex?: string): string {
  if (tag !== RECORD_TAGS.chunk) return recordSubject(stream);
  if (!chunkIdHex) throw new UsageError('a chunk record needs its id for its subject', {});
  return chunkSubject(stream, chunkIdHex);
}

/** The subject filter a read with these tags needs (undefined tags: every record). */
export function filterSubjectFor(stream: string, tags: readonly number[] | undefined): string {
  return tags === undefined || tags.includes(RECORD_TAGS.chunk) ? streamSubjects(stream) : recordSubject(stream);
}

/** JetStream's de-duplication key: the log's id and the record's seq, so a republished record is dropped. */
export function messageIdFor(logId: string, seq: number): string {
  return `${logId}/${seq}`;
}

/** The stream sequence (1-based) of a record's message: its seq + 1. */
export function streamSeqOf(seq: number): number {
  return seq + 1;
}

/** The description a publisher gives a stream it creates: which log it holds (one stream, one log). */
export function streamDescription(logId: string): string {
  return `synclog log ${logId} (mapping ${JETSTREAM_MAPPING_VERSION})`;
}

/** The log id a stream's description names, or undefined when it is no synclog stream. */
export function parseStreamDescription(description: string | undefined): { logId: string; mapping: number } | undefined {
  const match = DESCRIPTION_PATTERN.exec(description ?? '');
  return match ? { logId: match[1]!, mapping: Number(match[2]) } : undefined;
}

/** The headers of a record's message (Nats-Msg-Id and the expected last sequence are the publish options). */
export function headersFor(logId: string, entry: LogEntry, groupLastSeq?: number): Record<string, string> {
  if (entry.frame === undefined || entry.salt === undefined) throw new UsageError('publishing a record needs its frame (read withFrames)', {});
  const group: Record<string, string> = groupLastSeq === undefined ? {} : { [JS_HEADERS.groupLast]: String(groupLastSeq) };
  return {
    ...group,
    [JS_HEADERS.mapping]: String(JETSTREAM_MAPPING_VERSION),
    [JS_HEADERS.logId]: logId,
    [JS_HEADERS.seq]: String(entry.seq),
    [JS_HEADERS.tag]: String(entry.tag),
    [JS_HEADERS.segment]: String(parseSegmentFileName(entry.segment)),
    [JS_HEADERS.offset]: String(entry.offset),
    [JS_HEADERS.salt]: entry.salt.toString(16).padStart(16, '0'),
  };
}

/** A stream entry: the record, and for a frame of an atomic group, the seq of the group's last frame. */
export interface StreamEntry {
  entry: LogEntry;
  groupLastSeq?: number;
}

/** What a reader got: a message's stream sequence, its headers (one value each) and its body. */
export interface ReceivedMessage {
  streamSeq: number;
  header(name: string): string | undefined;
  body: Uint8Array;
}

function decimal(value: string | undefined, what: string, where: string): number {
  if (value === undefined || !DECIMAL_PATTERN.test(value)) throw malformed(where, `${what} ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw malformed(where, `${what} beyond 2^53`);
  return n;
}

function malformed(where: string, what: string): NetError {
  return new NetError(`${where} holds a malformed message: ${what}`, { url: where, reason: 'protocol' });
}

/**
 * Checks one message and turns it back into the log entry it was published from, frame and all: the mapping
 * version, the log id, seq = stream sequence − 1, the segment, offset and salt, and the frame's checksum (seeded
 * with that salt) and tag. A message that fails is refused (NetError for a malformed one, CorruptionError for a
 * frame that fails its check), never returned.
 */
export function entryFromMessage(message: ReceivedMessage, logId: string, where: string): LogEntry {
  return streamEntryFromMessage(message, logId, where).entry;
}

/** entryFromMessage, with the group's last seq for a frame of an atomic group (checked: at or after this frame). */
export function streamEntryFromMessage(message: ReceivedMessage, logId: string, where: string): StreamEntry {
  const mapping = message.header(JS_HEADERS.mapping);
  if (mapping !== String(JETSTREAM_MAPPING_VERSION)) throw malformed(where, `mapping version ${JSON.stringify(mapping)} (this synclog reads ${JETSTREAM_MAPPING_VERSION})`);
  const messageLogId = message.header(JS_HEADERS.logId);
  if (messageLogId !== logId) {
    throw new NetError(`${where} holds a message of log ${JSON.stringify(messageLogId)} in the stream of log ${logId}`, { url: where, reason: 'log-identity-changed' });
  }
  const seq = decimal(message.header(JS_HEADERS.seq), 'seq', where);
  if (streamSeqOf(seq) !== message.streamSeq) throw malformed(where, `record ${seq} at stream sequence ${message.streamSeq} (must be ${streamSeqOf(seq)})`);
  const tag = decimal(message.header(JS_HEADERS.tag), 'tag', where);
  const segment = segmentFileName(decimal(message.header(JS_HEADERS.segment), 'segment', where));
  const offset = decimal(message.header(JS_HEADERS.offset), 'offset', where);
  const saltHex = message.header(JS_HEADERS.salt) ?? '';
  if (!SALT_PATTERN.test(saltHex)) throw malformed(where, `salt ${JSON.stringify(saltHex)}`);
  const salt = BigInt(`0x${saltHex}`);
  const frame = message.body;
  const checked = decodeFrame(frame, 0, salt);
  if (checked.kind !== 'frame' || checked.frameBytes !== frame.length) {
    const reason = checked.kind === 'frame' ? 'bytes-after-frame' : checked.reason;
    throw new CorruptionError(`record ${seq} in ${where} (${segment} at offset ${offset}) fails its check: ${reason}`, { file: segment, offset, seq, reason, url: where });
  }
  if (checked.header.tag !== tag) throw malformed(where, `record ${seq} with tag ${checked.header.tag} under header tag ${tag}`);
  const entry = { seq, segment, offset, tag, payload: checked.payload, frame, salt };
  if (checked.header.flags === FRAME_FLAGS.full) return { entry };
  const groupLastSeq = decimal(message.header(JS_HEADERS.groupLast), 'group end', where);
  if (groupLastSeq < seq || (checked.header.flags === FRAME_FLAGS.last) !== (groupLastSeq === seq)) throw malformed(where, `record ${seq} (group flags ${checked.header.flags}) with group end ${groupLastSeq}`);
  return { entry, groupLastSeq };
}
