// verifyLog: walks every segment and every frame (checksums, atomic-group structure, seq continuity between
// segments) and reports precisely where each problem is. Read-only: takes no lock, cuts nothing, repairs nothing.
// A torn tail in the newest segment is reported as `tornTail`, not as an error (a writer died; open cuts it).
import { stat } from 'node:fs/promises';
import { SynclogError } from '../errors.js';
import { checkLogDir } from './log-dir.js';
import { initChecksum } from './checksum.js';
import { readDurableFloor } from './durable-floor.js';
import { judgeSegmentEnd, nextRecordStart, summarizeSegment } from './segment-check.js';
import { listSegments, openSegment } from './segment-file.js';
import { pendingPrune } from './segment-rewrite.js';
import type { LogVerifyReport, RecoveryReport, VerifyProblem } from './types.js';

/** Verifies the log in `dir`; `onProgress(bytesDone, bytesTotal)` is called as segments are read. */
export async function verifyLog(
  dir: string,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
): Promise<LogVerifyReport> {
  await initChecksum();
  await checkLogDir(dir, 'read');
  const refs = await listSegments(dir);
  const sizes = await Promise.all(refs.map((ref) => stat(ref.path).then((s) => s.size, () => 0)));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const errors: VerifyProblem[] = [];
  let tornTail: RecoveryReport | undefined;
  let records = 0;
  let bytesDone = 0;
  let expectedSeq = refs[0]?.baseSeq ?? 0;
  if (refs.length === 0) {
    const floor = await readDurableFloor(dir, undefined);
    if (floor) errors.push({ segment: floor.source, offset: 0, seq: 0, reason: `the log has no segments, but ${floor.source} says ${floor.seq} records were durable` });
  }
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const next = refs[i + 1];
    if (ref.baseSeq !== expectedSeq) {
      errors.push({ segment: ref.name, offset: 0, seq: expectedSeq, reason: `segment starts at seq ${ref.baseSeq}, expected ${expectedSeq}` });
    }
    expectedSeq = next?.baseSeq ?? ref.baseSeq;
    let segment;
    try {
      segment = await openSegment(ref);
    } catch (error) {
      if (!(error instanceof SynclogError)) throw error;
      errors.push({ segment: ref.name, offset: 0, seq: ref.baseSeq, reason: error.message });
      bytesDone += sizes[i]!;
      continue;
    }
    try {
      // After damage, the walk goes on at the next frame that starts a record, so every damaged place in the
      // segment is reported, not only the first; seqs there are unknown (the damage may have hidden records).
      let from: number | undefined;
      let damaged = false;
      for (;;) {
        const summary = await summarizeSegment(segment, (offset) => onProgress?.(bytesDone + offset, bytesTotal), from);
        // After damage the walk counts from where it resumed, so seqs (and the floor check) mean nothing there.
        const floor = next === undefined && !damaged ? await readDurableFloor(dir, segment) : undefined;
        const judgement = await judgeSegmentEnd(segment, summary, next === undefined, floor);
        records += summary.records;
        if (judgement.kind === 'torn') tornTail = { segment: ref.name, offset: judgement.cutOffset, bytesCut: judgement.bytesCut, reason: judgement.reason };
        if (judgement.kind !== 'corrupt') {
          // The next segment's name says where seqs resume after damage.
          if (!damaged) expectedSeq = ref.baseSeq + summary.records;
          break;
        }
        errors.push({ segment: ref.name, offset: judgement.offset, ...(damaged ? {} : { seq: judgement.seq }), reason: judgement.reason });
        damaged = true;
        from = await nextRecordStart(segment, judgement.offset, summary.fileSize);
        if (from === undefined) break;
      }
    } finally {
      await segment.handle.close().catch(() => {});
    }
    bytesDone += sizes[i]!;
    onProgress?.(bytesDone, bytesTotal);
  }
  // A committed prune its process did not finish: not damage (every segment, old or new, is sound), a note.
  const prune = await pendingPrune(dir);
  return { ok: errors.length === 0, segments: refs.length, records, bytes: bytesTotal, ...(tornTail ? { tornTail } : {}), ...(prune ? { prunePending: prune.segments } : {}), errors };
}
