// The client half of read deltas (docs/protocol.md "Read deltas", protocol 4): reading a `0x05` message from a
// record stream and rebuilding the record it stands for. Owns the checks that make a delta safe to use: every length
// against its limit before it is read, the payload's path through the record codec's gate, the expansion's bounds
// (version-delta.ts), and the rebuilt frame's checksum with its segment's salt, exactly as for a `0x02` record.
// Never yields a record it could not verify: RemoteLog then asks for it whole.
import { decodeFrame, decodeFrameHeader, FRAME_HEADER_BYTES, type LogEntry } from '../log/index.js';
import { RECORD_TAGS, versionDeltaPath, type ChunkRef } from '../record/index.js';
import { LIMITS, PUSH_LIMITS } from '../util/limits.js';
import type { MessageReader } from './message-reader.js';
import { readMessageU64, VERSION_DELTA_HEAD_BYTES } from './protocol.js';
import { DELTA_OP_BYTES, DeltaError, expandVersionPayload, readDeltaOps, type DeltaOp } from './version-delta.js';

/**
 * Where a read delta's base comes from (docs/protocol.md "Read deltas"): the chunk list of the version at `seq` of
 * this log, at `root`/`path`, as the client knows it (RemoteSource: a version this run received, else the file at that
 * path in the destination), or undefined. A wrong list is caught by the frame checksum, never used.
 */
export interface DeltaBaseSource {
  chunksOf(seq: number, root: string, path: string): Promise<readonly ChunkRef[] | undefined>;
}

/** A record stream's segment so far: its name and salt (the checksum seed). */
export interface StreamSegment {
  name: string;
  salt: bigint;
}

/** A version delta message as read (docs/protocol.md "Read deltas"); `ops` undefined: one this client does not know. */
export interface DeltaMessage {
  seq: number;
  offset: number;
  frameHeader: Buffer;
  baseSeq: number;
  ops: DeltaOp[] | undefined;
  payload: Buffer;
}

/** A version delta message after its type byte: its fields, every length checked against its limit first. */
export async function readDeltaMessage(reader: MessageReader, malformed: (what: string) => Error): Promise<DeltaMessage> {
  const head = await reader.read(VERSION_DELTA_HEAD_BYTES - 1);
  const seq = readMessageU64(head, 0, malformed);
  const offset = readMessageU64(head, 8, malformed);
  const frameHeader = Buffer.from(head.subarray(16, 16 + FRAME_HEADER_BYTES));
  const baseSeq = readMessageU64(head, 16 + FRAME_HEADER_BYTES, malformed);
  const opCount = head.readUInt32LE(24 + FRAME_HEADER_BYTES);
  if (opCount > PUSH_LIMITS.deltaChunksMax) throw malformed(`a version delta of ${opCount} ops`);
  const opBytes = await reader.read(opCount * DELTA_OP_BYTES + 4);
  const size = opBytes.readUInt32LE(opCount * DELTA_OP_BYTES);
  if (size > LIMITS.recordBytesMax) throw malformed(`a version delta of ${size} bytes`);
  let ops: DeltaOp[] | undefined;
  try {
    ops = readDeltaOps(opBytes, 0, opCount);
  } catch (error) {
    if (!(error instanceof DeltaError)) throw error;
    ops = undefined; // an op this client does not know: the record is asked whole
  }
  return { seq, offset, frameHeader, baseSeq, ops, payload: await reader.read(size) };
}

/**
 * The record a delta stands for, rebuilt from its base and verified against the frame checksum it carries with the
 * segment's salt (as a `0x02` record is), or undefined when it cannot be: an unknown base, ops outside it, or a
 * rebuilt frame that fails its check (the destination's file is not the base any more). Never a byte unverified.
 */
export async function rebuildDelta(message: DeltaMessage, segment: StreamSegment, bases: DeltaBaseSource): Promise<LogEntry | undefined> {
  const header = decodeFrameHeader(message.frameHeader, 0);
  if (header.kind !== 'header' || header.header.tag !== RECORD_TAGS.version || !message.ops) return undefined;
  let delta;
  try {
    delta = versionDeltaPath(message.payload, { file: segment.name, offset: message.offset, seq: message.seq });
  } catch {
    return undefined;
  }
  const base = await bases.chunksOf(message.baseSeq, delta.root, delta.path);
  if (!base) return undefined;
  let payload: Uint8Array;
  try {
    payload = expandVersionPayload(message.payload, message.ops, base);
  } catch (error) {
    if (error instanceof DeltaError) return undefined;
    throw error;
  }
  if (FRAME_HEADER_BYTES + payload.length !== header.frameBytes) return undefined;
  const frame = Buffer.concat([message.frameHeader, payload], header.frameBytes);
  const checked = decodeFrame(frame, 0, segment.salt);
  if (checked.kind !== 'frame') return undefined;
  return { seq: message.seq, segment: segment.name, offset: message.offset, tag: checked.header.tag, payload: checked.payload, frame, salt: segment.salt };
}

