// The wire format shared by server and client (docs/protocol.md is the authority; this file is the code home of
// its numbers). Pure: encoders return bytes, nothing here does I/O. Invariant: every message type, magic and header
// name used on the wire is defined here once.
import { FRAME_HEADER_BYTES } from '../log/index.js';
import { DELTA_OP_BYTES, writeDeltaOps, type DeltaOp } from './version-delta.js';

/**
 * What every read answer carries in `Synclog-Protocol`. Versions 2-4 only added (push; version deltas both ways),
 * each announced in GET /v1/log, so read answers still say 1 and older clients see no change (docs/protocol.md).
 */
export const PROTOCOL_VERSION = 1;
export const DEFAULT_PORT = 8417;

export const ROUTES = {
  log: '/v1/log',
  records: '/v1/records',
  chunks: '/v1/chunks',
} as const;

export const HEADERS = {
  protocol: 'synclog-protocol',
  logId: 'synclog-log-id',
} as const;

export const CONTENT_TYPES = {
  json: 'application/json',
  records: 'application/x-synclog-records',
  chunks: 'application/x-synclog-chunks',
  bytes: 'application/octet-stream',
} as const;

/** "SYNCREC1" and "SYNCCHK1": the first bytes of a record stream and of a chunk stream. */
export const RECORD_STREAM_MAGIC = new TextEncoder().encode('SYNCREC1');
export const CHUNK_STREAM_MAGIC = new TextEncoder().encode('SYNCCHK1');

export const RECORD_MESSAGES = { segment: 0x01, record: 0x02, end: 0x03, error: 0x04, versionDelta: 0x05 } as const;

/** What GET /v1/log lists in `readFeatures` when a records request may ask `delta=1` (docs/protocol.md "Read deltas"). */
export const READ_FEATURE_VERSION_DELTA = 'version-delta';
export const CHUNK_MESSAGES = { missing: 0x00, found: 0x01, end: 0x03, error: 0x04 } as const;

/** Why a record stream ended (the `end` message's reason byte). */
export const END_REASONS = { caughtUp: 0, waited: 1, limit: 2 } as const;
export type EndReason = (typeof END_REASONS)[keyof typeof END_REASONS];

export const SCOPES = ['read', 'push'] as const;
export type Scope = (typeof SCOPES)[number];

/** GET /v1/log. */
export interface LogInfo {
  protocol: number;
  logId: string;
  formatVersion: number;
  /** One past the last record in the segments now (the head). */
  nextSeq: number;
  /** Every record below this is durable; a server sends none at or above it. */
  durableSeq: number;
  /** Protocol 2: true when the server takes pushes (docs/protocol.md "Push"); absent from protocol 1 servers. */
  acceptsPush?: boolean;
  /** Push extensions the server takes (docs/protocol.md "Version deltas"): absent from older servers. */
  pushFeatures?: string[];
  /** Read extensions the server offers (protocol 4: `version-delta`): absent from older servers. */
  readFeatures?: string[];
}

/** The body of every answer other than 200, and of an `error` message in a stream. */
export interface ErrorBody {
  code: string;
  message: string;
  /** The error class (SynclogError subclasses), so a client raises the same kind a local reader would. */
  name?: string;
  details?: Record<string, unknown>;
}

export const SEGMENT_MESSAGE_BYTES = 17;
export const RECORD_HEAD_BYTES = 17;
export const END_MESSAGE_BYTES = 10;

export function encodeSegmentMessage(baseSeq: number, salt: bigint): Uint8Array {
  const out = Buffer.alloc(SEGMENT_MESSAGE_BYTES);
  out[0] = RECORD_MESSAGES.segment;
  out.writeBigUInt64LE(BigInt(baseSeq), 1);
  out.writeBigUInt64LE(salt, 9);
  return out;
}

/** A record message's head; the frame's bytes follow it as they are. */
export function encodeRecordHead(seq: number, offset: number): Uint8Array {
  const out = Buffer.alloc(RECORD_HEAD_BYTES);
  out[0] = RECORD_MESSAGES.record;
  out.writeBigUInt64LE(BigInt(seq), 1);
  out.writeBigUInt64LE(BigInt(offset), 9);
  return out;
}

/**
 * A version delta message's head (protocol 4): `0x05 seq:u64 offset:u64 frameHeader:14 baseSeq:u64 opCount:u32 op*
 * size:u32`; the delta's payload (the record with only its literal chunks) follows. The frame header is the record's
 * own, so its checksum covers the payload the client rebuilds.
 */
export function encodeVersionDeltaHead(seq: number, offset: number, frameHeader: Uint8Array, baseSeq: number, ops: readonly DeltaOp[], payloadBytes: number): Uint8Array {
  const out = Buffer.alloc(VERSION_DELTA_HEAD_BYTES + ops.length * DELTA_OP_BYTES + 4);
  out[0] = RECORD_MESSAGES.versionDelta;
  out.writeBigUInt64LE(BigInt(seq), 1);
  out.writeBigUInt64LE(BigInt(offset), 9);
  out.set(frameHeader.subarray(0, FRAME_HEADER_BYTES), 17);
  out.writeBigUInt64LE(BigInt(baseSeq), 17 + FRAME_HEADER_BYTES);
  out.writeUInt32LE(ops.length, 25 + FRAME_HEADER_BYTES);
  const at = writeDeltaOps(ops, out, VERSION_DELTA_HEAD_BYTES);
  out.writeUInt32LE(payloadBytes, at);
  return out;
}

/** Type byte, seq, offset, frame header, baseSeq and opCount of a version delta message. */
export const VERSION_DELTA_HEAD_BYTES = 1 + 8 + 8 + FRAME_HEADER_BYTES + 8 + 4;

export function encodeEndMessage(nextSeq: number, reason: EndReason): Uint8Array {
  const out = Buffer.alloc(END_MESSAGE_BYTES);
  out[0] = RECORD_MESSAGES.end;
  out.writeBigUInt64LE(BigInt(nextSeq), 1);
  out[9] = reason;
  return out;
}

/** An `error` message (record and chunk streams share its layout). */
export function encodeErrorMessage(body: ErrorBody): Uint8Array {
  const json = Buffer.from(JSON.stringify(body));
  const out = Buffer.alloc(5 + json.length);
  out[0] = RECORD_MESSAGES.error;
  out.writeUInt32LE(json.length, 1);
  json.copy(out, 5);
  return out;
}

/** A found chunk's head: its record's tag and payload size; the payload (the chunk record as stored) follows. */
export function encodeChunkFoundHead(tag: number, size: number): Uint8Array {
  const out = Buffer.alloc(6);
  out[0] = CHUNK_MESSAGES.found;
  out[1] = tag;
  out.writeUInt32LE(size, 2);
  return out;
}

/** A u64 of a message at `at`, as a number; `malformed` makes the error for one beyond 2^53 (no seq or offset is). */
export function readMessageU64(bytes: Buffer, at: number, malformed: (what: string) => Error): number {
  const value = bytes.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('a number beyond 2^53');
  return Number(value);
}

/** Parses a seq given in decimal (a query parameter): a safe non-negative integer, else undefined. */
export function parseSeq(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
