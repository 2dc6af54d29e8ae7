// The push exchange's wire format (docs/protocol.md "Push", protocol 2), shared by the server (push-server.ts) and
// the pusher (pusher.ts). Pure: encoders return bytes, decoders take a whole body and return values or throw
// HttpRefusal-free PushBodyError (the server turns it into a 400). Invariant: every push route, magic and message
// byte is defined here once, and a decoder never reads past the body or trusts a length it has not checked.
import { CONTENT_ID_BYTES } from '../store/index.js';
import { LIMITS } from '../util/limits.js';
import { DELTA_OP_BYTES, readDeltaOps, writeDeltaOps, type VersionDelta } from './version-delta.js';

export { chunkDelta, DeltaError, expandChunkDelta, type DeltaOp, type VersionDelta } from './version-delta.js';

/** The protocol version a push answer carries in `Synclog-Protocol` (read answers still carry 1). */
export const PUSH_PROTOCOL_VERSION = 2;

export const PUSH_ROUTES = {
  origin: '/v1/push/origin',
  lacks: '/v1/push/lacks',
  chunks: '/v1/push/chunks',
  records: '/v1/push/records',
} as const;

/** "SYNCUPL1" (a chunk upload) and "SYNCPSH1" (a record push): the first bytes of the two push bodies. */
export const UPLOAD_MAGIC = new TextEncoder().encode('SYNCUPL1');
export const RECORDS_MAGIC = new TextEncoder().encode('SYNCPSH1');
export const PUSH_MESSAGES = { chunk: 0x01, record: 0x02, end: 0x03, versionDelta: 0x04 } as const;

/** What GET /v1/log lists in `pushFeatures` when the server expands version deltas (docs/protocol.md "Version deltas"). */
export const PUSH_FEATURE_VERSION_DELTA = 'version-delta';

/** A malformed push body: what is wrong, for a 400. */
export class PushBodyError extends Error {}

/** GET /v1/push/origin?log=ID: how far the server holds that client's records, and the roots it owns. */
export interface OriginInfo {
  origin: string;
  /** The highest client seq the server holds a record of (-1: none). */
  highSeq: number;
  roots: string[];
}

/** POST /v1/push/chunks: what the server did with an upload (durable when it answers). */
export interface UploadReply {
  received: number;
  /** Chunks appended (the others it held already). */
  stored: number;
  bytes: number;
}

/** POST /v1/push/records: what the server appended (durable when it answers). */
export interface PushReply {
  origin: string;
  highSeq: number;
  appended: number;
  /** Records at or below the server's high-water mark for the origin (a replay): not appended again. */
  skipped: number;
}

/** The lacks answer: bit i (LSB first within each byte) is set when the server lacks id i. */
export function encodeLacks(lacking: readonly boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(lacking.length / 8));
  lacking.forEach((lacks, i) => {
    if (lacks) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

export function decodeLacks(bitmap: Uint8Array, count: number): boolean[] {
  if (bitmap.length !== Math.ceil(count / 8)) throw new PushBodyError(`a lacks answer for ${count} ids is ${Math.ceil(count / 8)} bytes, not ${bitmap.length}`);
  return Array.from({ length: count }, (_, i) => (bitmap[i >> 3]! & (1 << (i & 7))) !== 0);
}

export function encodeIds(ids: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ids.length * CONTENT_ID_BYTES);
  ids.forEach((id, i) => out.set(id, i * CONTENT_ID_BYTES));
  return out;
}

/** The pieces of an upload body: magic, then per chunk `0x01 size:u32` and the record payload, then `0x03`. */
export function uploadHead(): Uint8Array {
  return UPLOAD_MAGIC;
}

export function uploadChunkHead(payloadBytes: number): Uint8Array {
  const out = Buffer.alloc(5);
  out[0] = PUSH_MESSAGES.chunk;
  out.writeUInt32LE(payloadBytes, 1);
  return out;
}

export const UPLOAD_END = Uint8Array.of(PUSH_MESSAGES.end);

/** Splits an upload body into chunk record payloads (views into `body`). */
export function decodeUpload(body: Buffer): Uint8Array[] {
  if (body.length < UPLOAD_MAGIC.length || !body.subarray(0, UPLOAD_MAGIC.length).equals(UPLOAD_MAGIC)) throw new PushBodyError('an upload starts with "SYNCUPL1"');
  const payloads: Uint8Array[] = [];
  let at = UPLOAD_MAGIC.length;
  for (;;) {
    if (at >= body.length) throw new PushBodyError('the upload ends without its end byte (cut off?)');
    const type = body[at]!;
    if (type === PUSH_MESSAGES.end) {
      if (at + 1 !== body.length) throw new PushBodyError('bytes after the end of the upload');
      return payloads;
    }
    if (type !== PUSH_MESSAGES.chunk) throw new PushBodyError(`unknown upload message ${type}`);
    if (at + 5 > body.length) throw new PushBodyError('the upload is cut off in a chunk head');
    const size = body.readUInt32LE(at + 1);
    if (size > LIMITS.recordBytesMax) throw new PushBodyError(`a chunk record of ${size} bytes is beyond the record limit`);
    if (at + 5 + size > body.length) throw new PushBodyError('the upload is cut off in a chunk record');
    payloads.push(body.subarray(at + 5, at + 5 + size));
    at += 5 + size;
  }
}

/** One record of a push: its seq in the client's log, its tag and payload (as the client's log holds it). */
export interface PushedRecord {
  seq: number;
  tag: number;
  /** With `delta`: the version record with only its new chunks (the literals) under `chunks`. */
  payload: Uint8Array;
  delta?: VersionDelta;
}

const LOG_ID_PATTERN = /^(0|[1-9][0-9]{0,15})-[0-9a-f]{16}$/;

export function isLogId(text: string): boolean {
  return LOG_ID_PATTERN.test(text);
}

/** A records body: magic, origin (u8 length + ASCII log id), then `0x02 seq:u64 tag:u8 size:u32 payload`…, `0x03`. */
export function encodeRecordsHead(origin: string): Uint8Array {
  const id = Buffer.from(origin, 'ascii');
  const out = Buffer.alloc(RECORDS_MAGIC.length + 1 + id.length);
  out.set(RECORDS_MAGIC);
  out[RECORDS_MAGIC.length] = id.length;
  id.copy(out, RECORDS_MAGIC.length + 1);
  return out;
}

export function encodeRecordHeadForPush(record: PushedRecord): Uint8Array {
  if (record.delta) return encodeDeltaHead(record, record.delta);
  const out = Buffer.alloc(14);
  out[0] = PUSH_MESSAGES.record;
  out.writeBigUInt64LE(BigInt(record.seq), 1);
  out[9] = record.tag;
  out.writeUInt32LE(record.payload.length, 10);
  return out;
}

/** `0x04 seq:u64 tag:u8 baseSeq:u64 opCount:u32 (op:u8 a:u32 b:u32)* size:u32`, then the payload. */
function encodeDeltaHead(record: PushedRecord, delta: VersionDelta): Uint8Array {
  const out = Buffer.alloc(22 + delta.ops.length * DELTA_OP_BYTES + 4);
  out[0] = PUSH_MESSAGES.versionDelta;
  out.writeBigUInt64LE(BigInt(record.seq), 1);
  out[9] = record.tag;
  out.writeBigUInt64LE(BigInt(delta.baseSeq), 10);
  out.writeUInt32LE(delta.ops.length, 18);
  const at = writeDeltaOps(delta.ops, out, 22);
  out.writeUInt32LE(record.payload.length, at);
  return out;
}

/** Reads a version delta message's head at `at` (just after its type byte): the record (payload a view) and its end. */
function decodeDeltaMessage(body: Buffer, start: number): { record: PushedRecord; end: number } {
  let at = start;
  if (at + 21 > body.length) throw new PushBodyError('the record push is cut off in a version delta head');
  const seq = Number(body.readBigUInt64LE(at));
  const tag = body[at + 8]!;
  const baseSeq = Number(body.readBigUInt64LE(at + 9));
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(baseSeq)) throw new PushBodyError('a seq beyond 2^53');
  const opCount = body.readUInt32LE(at + 17);
  at += 21;
  if (at + opCount * DELTA_OP_BYTES + 4 > body.length) throw new PushBodyError('the record push is cut off in a version delta');
  const ops = readDeltaOps(body, at, opCount);
  at += opCount * DELTA_OP_BYTES;
  const size = body.readUInt32LE(at);
  at += 4;
  if (size > LIMITS.recordBytesMax) throw new PushBodyError(`a record of ${size} bytes is beyond the record limit`);
  if (at + size > body.length) throw new PushBodyError('the record push is cut off in a record');
  return { record: { seq, tag, payload: body.subarray(at, at + size), delta: { baseSeq, ops } }, end: at + size };
}

export function decodeRecordsBody(body: Buffer): { origin: string; records: PushedRecord[] } {
  if (body.length < RECORDS_MAGIC.length + 1 || !body.subarray(0, RECORDS_MAGIC.length).equals(RECORDS_MAGIC)) throw new PushBodyError('a record push starts with "SYNCPSH1"');
  const idLength = body[RECORDS_MAGIC.length]!;
  let at = RECORDS_MAGIC.length + 1;
  if (at + idLength > body.length) throw new PushBodyError('the record push is cut off in its origin');
  const origin = body.subarray(at, at + idLength).toString('ascii');
  if (!isLogId(origin)) throw new PushBodyError('the origin is not a log id');
  at += idLength;
  const records: PushedRecord[] = [];
  for (;;) {
    if (at >= body.length) throw new PushBodyError('the record push ends without its end byte (cut off?)');
    const type = body[at]!;
    if (type === PUSH_MESSAGES.end) {
      if (at + 1 !== body.length) throw new PushBodyError('bytes after the end of the record push');
      return { origin, records };
    }
    if (type === PUSH_MESSAGES.versionDelta) {
      const { record, end } = decodeDeltaMessage(body, at + 1);
      records.push(record);
      at = end;
      continue;
    }
    if (type !== PUSH_MESSAGES.record) throw new PushBodyError(`unknown record push message ${type}`);
    if (at + 14 > body.length) throw new PushBodyError('the record push is cut off in a record head');
    const seq = Number(body.readBigUInt64LE(at + 1));
    if (!Number.isSafeInteger(seq)) throw new PushBodyError('a seq beyond 2^53');
    const tag = body[at + 9]!;
    const size = body.readUInt32LE(at + 10);
    if (size > LIMITS.recordBytesMax) throw new PushBodyError(`a record of ${size} bytes is beyond the record limit`);
    if (at + 14 + size > body.length) throw new PushBodyError('the record push is cut off in a record');
    records.push({ seq, tag, payload: body.subarray(at + 14, at + 14 + size) });
    at += 14 + size;
  }
}
