// Frame codec (docs/format.md "Frame"): checksum u64 | length u32 | tag u8 | flags u8 | payload, little-endian.
// Pure: bytes in, typed results out; never does I/O and never throws on bytes it can describe (a short buffer is
// `incomplete`, damage is `bad`). Invariant: a `frame` result is returned only when the checksum, seeded with the
// segment salt, matches the length, tag, flags and payload exactly as stored.
import { assert } from '../util/assert.js';
import { LIMITS } from '../util/limits.js';
import { xxh64, xxh64Pieces } from './checksum.js';
import {
  FRAME_CHECKSUM_START,
  FRAME_FLAGS_MASK,
  FRAME_HEADER_BYTES,
  FRAME_OFFSET,
  TAG_MAX,
  type FrameFlags,
} from './format.js';

export interface FrameHeader {
  checksum: bigint;
  payloadBytes: number;
  tag: number;
  flags: FrameFlags;
}

export type FrameBadReason = 'length-over-limit' | 'bad-flags' | 'checksum-mismatch';
export type FrameIncompleteReason = 'short-header' | 'short-payload';

export type FrameHeaderResult =
  | { kind: 'header'; header: FrameHeader; frameBytes: number }
  | { kind: 'incomplete'; reason: FrameIncompleteReason }
  | { kind: 'bad'; reason: FrameBadReason };

export type FrameResult =
  | { kind: 'frame'; header: FrameHeader; frameBytes: number; payload: Uint8Array }
  | { kind: 'incomplete'; reason: FrameIncompleteReason; frameBytes?: number }
  | { kind: 'bad'; reason: FrameBadReason };

/** Bytes a frame with this payload size takes on disk. */
export function frameBytesFor(payloadBytes: number): number {
  return FRAME_HEADER_BYTES + payloadBytes;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Writes one frame into `target` at `at` and returns the bytes written. The caller has checked the payload against
 * LIMITS.recordBytesMax (a LimitError for the user); here a violation is a bug.
 */
export function encodeFrameInto(
  target: Uint8Array,
  at: number,
  tag: number,
  flags: FrameFlags,
  payload: Uint8Array,
  salt: bigint,
): number {
  return encodeFramePiecesInto(target, at, tag, flags, [payload], salt);
}

function payloadLength(pieces: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const piece of pieces) bytes += piece.length;
  return bytes;
}

/** writes the length, tag and flags of a frame header (everything but the checksum). */
function encodeHeaderFields(target: Uint8Array, at: number, tag: number, flags: FrameFlags, payloadBytes: number): DataView {
  assert(Number.isInteger(tag) && tag >= 0 && tag <= TAG_MAX, `tag ${tag} is not a byte`);
  assert(payloadBytes <= LIMITS.recordBytesMax, 'payload over the record limit');
  const v = view(target);
  v.setUint32(at + FRAME_OFFSET.length, payloadBytes, true);
  target[at + FRAME_OFFSET.tag] = tag;
  target[at + FRAME_OFFSET.flags] = flags;
  return v;
}

/** encodeFrameInto for a payload given in pieces: they are copied back to back after the header. */
export function encodeFramePiecesInto(
  target: Uint8Array,
  at: number,
  tag: number,
  flags: FrameFlags,
  pieces: readonly Uint8Array[],
  salt: bigint,
): number {
  const payloadBytes = payloadLength(pieces);
  const total = frameBytesFor(payloadBytes);
  assert(at + total <= target.length, 'frame does not fit the target');
  const v = encodeHeaderFields(target, at, tag, flags, payloadBytes);
  let to = at + FRAME_OFFSET.payload;
  for (const piece of pieces) {
    target.set(piece, to);
    to += piece.length;
  }
  const sum = xxh64(target.subarray(at + FRAME_CHECKSUM_START, at + total), salt);
  v.setBigUint64(at + FRAME_OFFSET.checksum, sum, true);
  return total;
}

/**
 * Writes only the 14-byte header of a frame into `target` at `at`, for a payload that is written to disk from its own
 * buffers (writev) instead of being copied next to its header. The checksum is the same as encodeFrameInto's.
 */
export function encodeFrameHeaderInto(
  target: Uint8Array,
  at: number,
  tag: number,
  flags: FrameFlags,
  pieces: readonly Uint8Array[],
  salt: bigint,
): number {
  assert(at + FRAME_HEADER_BYTES <= target.length, 'frame header does not fit the target');
  const v = encodeHeaderFields(target, at, tag, flags, payloadLength(pieces));
  const sum = xxh64Pieces([target.subarray(at + FRAME_CHECKSUM_START, at + FRAME_HEADER_BYTES), ...pieces], salt);
  v.setBigUint64(at + FRAME_OFFSET.checksum, sum, true);
  return FRAME_HEADER_BYTES;
}

/** One frame as a fresh byte array. */
export function encodeFrame(tag: number, flags: FrameFlags, payload: Uint8Array, salt: bigint): Uint8Array {
  const out = new Uint8Array(frameBytesFor(payload.length));
  encodeFrameInto(out, 0, tag, flags, payload, salt);
  return out;
}

/** Decodes the 14-byte frame header at `at` without looking at the payload or the checksum. */
export function decodeFrameHeader(bytes: Uint8Array, at: number): FrameHeaderResult {
  if (at < 0 || bytes.length - at < FRAME_HEADER_BYTES) return { kind: 'incomplete', reason: 'short-header' };
  const v = view(bytes);
  const payloadBytes = v.getUint32(at + FRAME_OFFSET.length, true);
  // Checked before anything else so that a damaged length never makes a reader allocate or wait for it.
  if (payloadBytes > LIMITS.recordBytesMax) return { kind: 'bad', reason: 'length-over-limit' };
  const flags = bytes[at + FRAME_OFFSET.flags]!;
  if ((flags & ~FRAME_FLAGS_MASK) !== 0) return { kind: 'bad', reason: 'bad-flags' };
  const header: FrameHeader = {
    checksum: v.getBigUint64(at + FRAME_OFFSET.checksum, true),
    payloadBytes,
    tag: bytes[at + FRAME_OFFSET.tag]!,
    flags: flags as FrameFlags,
  };
  return { kind: 'header', header, frameBytes: frameBytesFor(payloadBytes) };
}

/**
 * Decodes and verifies the frame at `at`. The payload in a `frame` result is a view into `bytes` (copy it to keep
 * it past the buffer's reuse).
 */
export function decodeFrame(bytes: Uint8Array, at: number, salt: bigint): FrameResult {
  const head = decodeFrameHeader(bytes, at);
  if (head.kind !== 'header') return head;
  if (bytes.length - at < head.frameBytes) return { kind: 'incomplete', reason: 'short-payload', frameBytes: head.frameBytes };
  return verifyFrame(bytes, at, head.header, head.frameBytes, salt);
}

/** Checks the checksum of a frame whose header is already decoded and whose bytes are all in `bytes`. */
export function verifyFrame(bytes: Uint8Array, at: number, header: FrameHeader, frameBytes: number, salt: bigint): FrameResult {
  const sum = xxh64(bytes.subarray(at + FRAME_CHECKSUM_START, at + frameBytes), salt);
  if (sum !== header.checksum) return { kind: 'bad', reason: 'checksum-mismatch' };
  return { kind: 'frame', header, frameBytes, payload: bytes.subarray(at + FRAME_OFFSET.payload, at + frameBytes) };
}
