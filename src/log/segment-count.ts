// Counting the records of a log: what a read-only open needs for nextSeq. Walks only the newest segment (earlier
// ones are counted by their successors' base seqs), decoding no payload but checking every frame's checksum as the
// scanner checks the frames it skips, so the frames it walked may stand as read (frame-map.ts).
import { SEGMENT_HEADER_BYTES } from './format.js';
import type { KnownFrame } from './frame-map.js';
import { GroupTracker } from './segment-check.js';
import { listSegments, openSegment, type SegmentRef } from './segment-file.js';
import { SegmentScanner, WANT_NONE } from './segment-scanner.js';

/**
 * What the last count of a segment file found: its identity and size then, its count, and the last place (a frame
 * boundary with no atomic group open) from which a count of the same file grown since may go on.
 */
interface SegmentCount {
  identity: string;
  size: number;
  ctimeNs: bigint;
  records: number;
  resumeOffset: number;
}

/**
 * The frames a count walked and verified, by seq (`baseSeq + index`), for a Log's frame map (frame-map.ts): the
 * Log notes those its durable watermark covers, so its first read passes them by instead of walking them again.
 */
export interface CountedFrames {
  identity: string;
  salt: bigint;
  baseSeq: number;
  frames: { offset: number; frame: KnownFrame }[];
}

/** Segment files whose last count is kept (by path; the oldest is forgotten first). */
const COUNTS_KEPT_MAX = 16;
const counts = new Map<string, SegmentCount>();

/**
 * Complete records in one segment, stopping at the first frame that does not decode. Why counts are kept: a server
 * answers every GET /v1/log with a fresh read-only view, which counted the newest segment from its start twice (its
 * open and segments()): a 33 MB segment walked ~10 times in a 60 MB catch-up. The same file (device, inode) with
 * the same size and ctime has the same count; grown, it is counted on from where the last count ended (a writer only
 * appends; a torn tail it cuts lies past that place, which no open group reaches; a prune writes a new file).
 */
export async function countSegmentRecords(ref: SegmentRef, walked?: { into: CountedFrames[]; framesMax: number }): Promise<number> {
  const segment = await openSegment(ref);
  try {
    // openSegment's own fstat says which file this is and how it stands: no second one.
    const { identity, size, ctimeNs } = segment;
    const known = counts.get(ref.path);
    const same = known && known.identity === identity;
    if (same && known.size === size && known.ctimeNs === ctimeNs) return known.records;
    const from = same && size > known.size ? known : undefined;
    const scanner = new SegmentScanner(segment.handle, segment.header.salt, size, from?.resumeOffset ?? SEGMENT_HEADER_BYTES);
    const groups = new GroupTracker();
    let frames = from?.records ?? 0;
    let records = frames;
    let resumeOffset = from?.resumeOffset ?? SEGMENT_HEADER_BYTES;
    const seen: CountedFrames = { identity, salt: segment.header.salt, baseSeq: ref.baseSeq + frames, frames: [] };
    for (;;) {
      const step = await scanner.next(WANT_NONE);
      if (step.kind !== 'frame' || groups.accept(step.flags, step.offset)) break;
      if (walked && seen.frames.length < walked.framesMax) seen.frames.push({ offset: step.offset, frame: { frameBytes: step.frameBytes, tag: step.tag, flags: step.flags } });
      frames++;
      if (groups.openAt === undefined) {
        records = frames;
        resumeOffset = step.offset + step.frameBytes;
      }
    }
    // Only frames of complete records (an open group at the end is not one yet).
    seen.frames.length = Math.min(seen.frames.length, records - (from?.records ?? 0));
    if (walked && seen.frames.length > 0) walked.into.push(seen);
    counts.delete(ref.path);
    counts.set(ref.path, { identity, size, ctimeNs, records, resumeOffset });
    if (counts.size > COUNTS_KEPT_MAX) counts.delete(counts.keys().next().value!);
    return records;
  } finally {
    await segment.handle.close().catch(() => {});
  }
}

/** The seq after the last complete record of the log in `dir` (0 for a log without segments). */
export async function countRecords(dir: string, walked?: { into: CountedFrames[]; framesMax: number }): Promise<number> {
  const segments = await listSegments(dir);
  const newest = segments[segments.length - 1];
  if (!newest) return 0;
  return newest.baseSeq + (await countSegmentRecords(newest, walked));
}
