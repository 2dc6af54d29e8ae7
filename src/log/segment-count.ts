// Counting the records of a log without verifying payloads: what a read-only open needs for nextSeq. Walks only
// the newest segment (earlier ones are counted by their successors' base seqs) and passes frames by their lengths.
import { SEGMENT_HEADER_BYTES } from './format.js';
import { GroupTracker } from './segment-check.js';
import { listSegments, openSegment, type SegmentRef } from './segment-file.js';
import { SegmentScanner, WANT_NONE } from './segment-scanner.js';

/** Complete records in one segment, stopping at the first frame that does not decode. */
export async function countSegmentRecords(ref: SegmentRef): Promise<number> {
  const segment = await openSegment(ref);
  try {
    const scanner = new SegmentScanner(segment.handle, segment.header.salt, segment.size, SEGMENT_HEADER_BYTES);
    const groups = new GroupTracker();
    let frames = 0;
    let records = 0;
    for (;;) {
      const step = await scanner.next(WANT_NONE);
      if (step.kind !== 'frame' || groups.accept(step.flags, step.offset)) return records;
      frames++;
      if (groups.openAt === undefined) records = frames;
    }
  } finally {
    await segment.handle.close().catch(() => {});
  }
}

/** The seq after the last complete record of the log in `dir` (0 for a log without segments). */
export async function countRecords(dir: string): Promise<number> {
  const segments = await listSegments(dir);
  const newest = segments[segments.length - 1];
  if (!newest) return 0;
  return newest.baseSeq + (await countSegmentRecords(newest));
}
