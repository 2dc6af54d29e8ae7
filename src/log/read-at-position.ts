// Reading one record by position (Log.readAt, and SegmentReaderSync for worker threads): the checks both share, so
// an async and a sync read of the same damaged bytes fail with the same typed error. Pure: bytes in, a payload or
// a CorruptionError naming the segment and offset out.
import { CorruptionError, UsageError } from '../errors.js';
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './format.js';
import { decodeFrameHeader, verifyFrame, type FrameHeader } from './frame.js';
import { parseSegmentFileName } from './segment-name.js';

export interface RecordPositionRef {
  segment: string;
  offset: number;
}

/** The base seq of `position.segment`; a UsageError for a name or offset no log could hold. */
export function checkPosition(position: RecordPositionRef): number {
  const baseSeq = parseSegmentFileName(position.segment);
  if (baseSeq === undefined) throw new UsageError(`not a segment name: ${JSON.stringify(position.segment)}`);
  if (!Number.isSafeInteger(position.offset) || position.offset < SEGMENT_HEADER_BYTES) {
    throw new UsageError(`bad record offset ${position.offset}`);
  }
  return baseSeq;
}

/** The frame header in `head[0..got)`, read at `position`. */
export function frameHeaderAt(head: Uint8Array, got: number, position: RecordPositionRef): { header: FrameHeader; frameBytes: number } {
  const where = { file: position.segment, offset: position.offset };
  if (got < FRAME_HEADER_BYTES) {
    throw new CorruptionError(`no record at ${position.segment}:${position.offset} (past the end)`, { ...where, reason: 'past-end' });
  }
  const decoded = decodeFrameHeader(head.subarray(0, got), 0);
  if (decoded.kind !== 'header') {
    throw new CorruptionError(`bad record at ${position.segment}:${position.offset}: ${decoded.reason}`, { ...where, reason: decoded.reason });
  }
  return decoded;
}

/** The checked payload of the frame in `bytes[0..got)` whose header `frameHeaderAt` gave. */
export function framePayloadAt(
  bytes: Uint8Array,
  got: number,
  decoded: { header: FrameHeader; frameBytes: number },
  salt: bigint,
  position: RecordPositionRef,
): Uint8Array {
  const where = { file: position.segment, offset: position.offset };
  if (got < decoded.frameBytes) {
    throw new CorruptionError(`record at ${position.segment}:${position.offset} is cut short`, { ...where, reason: 'short-payload' });
  }
  const frame = verifyFrame(bytes, 0, decoded.header, decoded.frameBytes, salt);
  if (frame.kind !== 'frame') {
    throw new CorruptionError(`bad record at ${position.segment}:${position.offset}: checksum mismatch`, { ...where, reason: 'checksum-mismatch' });
  }
  return frame.payload;
}
