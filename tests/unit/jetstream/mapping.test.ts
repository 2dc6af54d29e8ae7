// The JetStream mapping (src/jetstream/mapping.ts, docs/jetstream.md) on in-memory messages: names, the
// description, headers written and read back, and one named case per way a message is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkStreamName, chunkSubject, entryFromMessage, filterSubjectFor, headersFor, JS_HEADERS, messageIdFor, parseStreamDescription, recordSubject, streamDescription, streamEntryFromMessage, streamSeqOf, subjectFor, type ReceivedMessage } from '../../../src/jetstream/index.js';
import { encodeFrame } from '../../../src/log/frame.js';
import { initChecksum, segmentFileName, type LogEntry } from '../../../src/log/index.js';
import { RECORD_TAGS } from '../../../src/record/index.js';

const LOG_ID = '0-9f3c2a7b5e01d4c8';
const SALT = 0x9f3c2a7b5e01d4c8n;

function entry(seq: number, flags: 0 | 1 | 2 | 3 = 0, tag = 2): LogEntry {
  const payload = new Uint8Array([0x81, 0xa1, 0x61, seq & 0x7f]);
  const frame = encodeFrame(tag, flags, payload, SALT);
  return { seq, segment: segmentFileName(0), offset: 40 + seq * 18, tag, payload: frame.subarray(14), frame, salt: SALT };
}

function message(e: LogEntry, groupLast?: number, edit: (h: Record<string, string>) => void = () => {}, body = e.frame!): ReceivedMessage {
  const headers = headersFor(LOG_ID, e, groupLast);
  edit(headers);
  return { streamSeq: streamSeqOf(e.seq), header: (name) => headers[name], body };
}

beforeAll(() => initChecksum());

describe('jetstream mapping', () => {
  it('names subjects, message ids and stream sequences as docs/jetstream.md says', () => {
    expect(recordSubject('notes')).toBe('synclog.notes.rec');
    expect(chunkSubject('notes', 'ab'.repeat(32))).toBe(`synclog.notes.chunk.${'ab'.repeat(32)}`);
    expect(subjectFor('notes', RECORD_TAGS.version)).toBe('synclog.notes.rec');
    expect(() => subjectFor('notes', RECORD_TAGS.chunk)).toThrow(/needs its id/);
    expect(filterSubjectFor('notes', undefined)).toBe('synclog.notes.>');
    expect(filterSubjectFor('notes', [2, 3, 4])).toBe('synclog.notes.rec');
    expect(filterSubjectFor('notes', [1, 2])).toBe('synclog.notes.>');
    expect(messageIdFor(LOG_ID, 1207)).toBe('0-9f3c2a7b5e01d4c8/1207');
    expect(streamSeqOf(0)).toBe(1);
  });

  it('accepts stream names NATS allows in a subject token, and only those', () => {
    for (const good of ['notes', 'site-a_logs', 'A1']) expect(checkStreamName(good)).toBe(good);
    for (const bad of ['', 'a.b', 'a*', 'a>', 'a b', 'x'.repeat(65), 'ü']) expect(() => checkStreamName(bad)).toThrow(expect.objectContaining({ code: 'SYNCLOG_USAGE' }));
  });

  it('writes the log id into the description and reads it back; anything else is no synclog stream', () => {
    expect(streamDescription(LOG_ID)).toBe('synclog log 0-9f3c2a7b5e01d4c8 (mapping 1)');
    expect(parseStreamDescription(streamDescription(LOG_ID))).toEqual({ logId: LOG_ID, mapping: 1 });
    expect(parseStreamDescription(undefined)).toBeUndefined();
    expect(parseStreamDescription('orders')).toBeUndefined();
  });

  it('turns a message back into the entry it was published from, frame and position included', () => {
    const e = entry(5);
    expect(headersFor(LOG_ID, e)).toMatchObject({ [JS_HEADERS.seq]: '5', [JS_HEADERS.segment]: '0', [JS_HEADERS.salt]: '9f3c2a7b5e01d4c8', [JS_HEADERS.tag]: '2' });
    const back = entryFromMessage(message(e), LOG_ID, 'here');
    expect({ ...back, payload: [...back.payload] }).toEqual({ ...e, payload: [...e.payload] });
  });

  it('refuses a frame whose checksum fails (one payload byte flipped)', () => {
    const e = entry(3);
    const body = new Uint8Array(e.frame!);
    body[body.length - 1]! ^= 1;
    expect(() => entryFromMessage(message(e, undefined, undefined, body), LOG_ID, 'here')).toThrow(expect.objectContaining({ code: 'SYNCLOG_CORRUPT', message: expect.stringContaining('checksum-mismatch') }));
  });

  it('refuses bytes after the frame', () => {
    const e = entry(3);
    const body = new Uint8Array([...e.frame!, 0]);
    expect(() => entryFromMessage(message(e, undefined, undefined, body), LOG_ID, 'here')).toThrow(/bytes-after-frame/);
  });

  it('refuses a message of another log', () => {
    expect(() => entryFromMessage(message(entry(1), undefined, (h) => (h[JS_HEADERS.logId] = '0-0000000000000001')), LOG_ID, 'here')).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'log-identity-changed' }) }));
  });

  it('refuses a seq that is not its stream sequence minus one', () => {
    expect(() => entryFromMessage(message(entry(1), undefined, (h) => (h[JS_HEADERS.seq] = '2')), LOG_ID, 'here')).toThrow(/stream sequence/);
  });

  it('refuses an unknown mapping version, a header tag unlike the frame, a bad salt and a malformed number', () => {
    expect(() => entryFromMessage(message(entry(1), undefined, (h) => (h[JS_HEADERS.mapping] = '2')), LOG_ID, 'here')).toThrow(/mapping version/);
    expect(() => entryFromMessage(message(entry(1), undefined, (h) => (h[JS_HEADERS.tag] = '3')), LOG_ID, 'here')).toThrow(/tag 2 under header tag 3/);
    expect(() => entryFromMessage(message(entry(1), undefined, (h) => (h[JS_HEADERS.salt] = 'xyz')), LOG_ID, 'here')).toThrow(/salt/);
    expect(() => entryFromMessage(message(entry(1), undefined, (h) => (h[JS_HEADERS.offset] = '01')), LOG_ID, 'here')).toThrow(/offset/);
    // A salt that parses but is not the segment's: the checksum fails.
    expect(() => entryFromMessage(message(entry(1), undefined, (h) => (h[JS_HEADERS.salt] = '0000000000000001')), LOG_ID, 'here')).toThrow(/checksum-mismatch/);
  });

  it('carries the group end on each frame of an atomic group, and refuses one that does not fit the flags', () => {
    expect(streamEntryFromMessage(message(entry(7, 1), 9), LOG_ID, 'here').groupLastSeq).toBe(9);
    expect(streamEntryFromMessage(message(entry(9, 3), 9), LOG_ID, 'here').groupLastSeq).toBe(9);
    expect(streamEntryFromMessage(message(entry(4)), LOG_ID, 'here').groupLastSeq).toBeUndefined();
    expect(() => streamEntryFromMessage(message(entry(7, 1)), LOG_ID, 'here')).toThrow(/group end/);
    expect(() => streamEntryFromMessage(message(entry(7, 1), 6), LOG_ID, 'here')).toThrow(/group end 6/);
    expect(() => streamEntryFromMessage(message(entry(7, 1), 7), LOG_ID, 'here')).toThrow(/group end 7/);
    expect(() => streamEntryFromMessage(message(entry(9, 3), 10), LOG_ID, 'here')).toThrow(/group end 10/);
  });
});
