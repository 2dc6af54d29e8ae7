// Reading past mid-log damage, for readers opened with `skipDamaged` (docs/format.md "Recovery", "Reading past
// damage"). Owns: finding the next frame that starts a record after a damaged place, and working out the seq of
// that frame without guessing. Never writes, never cuts: the writer still refuses a log with mid-log damage.
// Invariant: a seq is reported only when it is proven by one of the rules in `seqAfterDamage`; otherwise the
// caller is told it is unknown and reads nothing more of that segment.
//
// Seqs are implicit: a frame's seq is its segment's base seq plus the number of frames before it (frames carry no
// seq). Skipping a damaged region therefore needs the number of frames the region held, or an anchor after it.
import { FRAME_HEADER_BYTES } from './format.js';
import { decodeFrameHeader } from './frame.js';
import { readAtMost, type OpenSegment } from './segment-file.js';
import { findIndexEntry, readSegmentIndex } from './segment-index.js';
import { SegmentScanner, WANT_NONE } from './segment-scanner.js';
import type { SkippedRegion } from './types.js';

/**
 * Frames from `from` to exactly `to`, walked by their length fields alone (the damaged frame's checksum failed, so
 * its bytes are not verified); undefined when the walk does not land exactly on `to`. A damaged length field lands
 * elsewhere (or on a boundary only if the garbage it lands on chains to `to` by chance).
 */
async function framesByLength(segment: OpenSegment, from: number, to: number): Promise<number | undefined> {
  const head = new Uint8Array(FRAME_HEADER_BYTES);
  let frames = 0;
  for (let at = from; at < to; frames++) {
    const got = await readAtMost(segment.handle, head, at);
    const decoded = decodeFrameHeader(head.subarray(0, got), 0);
    if (decoded.kind !== 'header') return undefined;
    at += decoded.frameBytes;
    if (at > to) return undefined;
  }
  return frames;
}

/** Verified frames from `from` to exactly `to` (an anchor after the damage); undefined at any further damage. */
async function verifiedFrames(segment: OpenSegment, from: number, to: number): Promise<number | undefined> {
  const scanner = new SegmentScanner(segment.handle, segment.header.salt, to, from);
  let frames = 0;
  for (;;) {
    const step = await scanner.next(WANT_NONE);
    if (step.kind === 'end') return step.offset === to ? frames : undefined;
    if (step.kind !== 'frame') return undefined;
    frames++;
  }
}

export interface DamageContext {
  dir: string;
  segment: OpenSegment;
  fileSize: number;
  /** Base seq of the next segment, when there is one (an anchor: the frames after the damage end there). */
  nextBaseSeq: number | undefined;
  /** Whether the segment is sealed (only a sealed segment has an index file to use as an anchor). */
  sealed: boolean;
}

/**
 * The seq of the frame at `resumeAt`, where reading goes on after damage that starts at `damagedAt` (seq
 * `damagedSeq`). Rules, first that applies: (1) the damaged frames' length fields walk exactly to `resumeAt`
 * (typical for a flipped payload or checksum byte): their count is known; (2) a sound index entry of the sealed
 * segment lies at or after `resumeAt` and verified frames lead exactly to it; (3) verified frames lead exactly to
 * the end of the segment and the next segment's base seq follows. Otherwise undefined: not guessed.
 */
export async function seqAfterDamage(ctx: DamageContext, damagedAt: number, damagedSeq: number, resumeAt: number): Promise<number | undefined> {
  const lost = await framesByLength(ctx.segment, damagedAt, resumeAt);
  if (lost !== undefined) return damagedSeq + lost;
  const { segment } = ctx;
  if (ctx.sealed) {
    const index = await readSegmentIndex(ctx.dir, segment.ref.name, segment.header.salt, ctx.fileSize);
    const entry = index?.entries.find((e) => e.offset >= resumeAt);
    if (entry && findIndexEntry(index!.entries, entry.relSeq) === entry) {
      const before = await verifiedFrames(segment, resumeAt, entry.offset);
      if (before !== undefined) return segment.ref.baseSeq + entry.relSeq - before;
    }
  }
  if (ctx.nextBaseSeq !== undefined) {
    const toEnd = await verifiedFrames(segment, resumeAt, ctx.fileSize);
    if (toEnd !== undefined) return ctx.nextBaseSeq - toEnd;
  }
  return undefined;
}

/** A skipped region as the reader reports it; `seqTo` is inclusive. */
export function skippedRegion(
  segment: string,
  offset: number,
  endOffset: number,
  seqFrom: number | undefined,
  seqAfter: number | undefined,
  reason: string,
): SkippedRegion {
  return {
    segment,
    offset,
    endOffset,
    ...(seqFrom !== undefined ? { seqFrom } : {}),
    ...(seqFrom !== undefined && seqAfter !== undefined ? { seqTo: seqAfter - 1 } : {}),
    reason,
  };
}
