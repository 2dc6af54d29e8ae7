// Lays out a run of frames for one vectored write. Small frames are copied whole into one staging buffer; a large
// payload stays in the buffer its caller handed in and only its 14-byte header is staged. Why: copying every
// chunk record into one group-sized buffer cost a second copy of up to groupCommitBytesMax per commit, and those
// big short-lived allocations left the process's malloc heap fragmented (RSS grew by tens of MiB under load).
import type { FileHandle } from 'node:fs/promises';
import { assert } from '../util/assert.js';
import { FRAME_HEADER_BYTES, type FrameFlags } from './format.js';
import { encodeFrameHeaderInto, encodeFramePiecesInto, frameBytesFor } from './frame.js';
import { payloadBytes, payloadPieces, type AppendInput } from './types.js';

/** Payloads at least this big are written from their own buffers instead of being copied next to their header. */
export const FRAME_PAYLOAD_BY_REFERENCE_BYTES = 4096;

export interface FrameSpec {
  tag: number;
  flags: FrameFlags;
  payload: AppendInput['payload'];
}

export interface FrameLayout {
  /** Buffers to write back to back, in order. */
  pieces: Uint8Array[];
  bytes: number;
}

export function layoutFrames(frames: readonly FrameSpec[], salt: bigint): FrameLayout {
  let stagedBytes = 0;
  let bytes = 0;
  const sizes = frames.map((frame) => payloadBytes(frame.payload));
  for (const size of sizes) {
    stagedBytes += size >= FRAME_PAYLOAD_BY_REFERENCE_BYTES ? FRAME_HEADER_BYTES : frameBytesFor(size);
    bytes += frameBytesFor(size);
  }
  const staging = Buffer.allocUnsafe(stagedBytes);
  const pieces: Uint8Array[] = [];
  let runStart = 0;
  let at = 0;
  frames.forEach((frame, i) => {
    const payload = payloadPieces(frame.payload);
    if (sizes[i]! < FRAME_PAYLOAD_BY_REFERENCE_BYTES) {
      at += encodeFramePiecesInto(staging, at, frame.tag, frame.flags, payload, salt);
      return;
    }
    at += encodeFrameHeaderInto(staging, at, frame.tag, frame.flags, payload, salt);
    pieces.push(staging.subarray(runStart, at), ...payload);
    runStart = at;
  });
  if (at > runStart) pieces.push(staging.subarray(runStart, at));
  assert(at === stagedBytes, 'staged bytes add up');
  return { pieces, bytes };
}

/** Writes every piece at `position`, resuming after a short write. */
export async function writePiecesAll(handle: FileHandle, pieces: readonly Uint8Array[], position: number): Promise<void> {
  let rest = pieces.filter((piece) => piece.length > 0);
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    assert(bytesWritten > 0, 'write made no progress');
    at += bytesWritten;
    rest = dropWritten(rest, bytesWritten);
  }
}

/** The pieces left after the first `written` bytes went to disk (a short write resumes mid-piece). */
export function dropWritten(pieces: readonly Uint8Array[], written: number): Uint8Array[] {
  let left = written;
  let i = 0;
  while (i < pieces.length && left >= pieces[i]!.length) left -= pieces[i++]!.length;
  const rest = pieces.slice(i);
  if (left > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}
