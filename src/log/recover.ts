// Opening a log for writing: find the newest segment, cut a torn tail (truncate + fsync, reported), refuse
// mid-log damage (CorruptionError: valid data after damage is never cut) and loss below the durable floor (a record
// that was durable is never cut as a torn tail: durable-floor.ts), and hand the writer its active segment.
// A refused open changes nothing in the directory.
// An older format's newest segment is sealed and a new one started (never appended to).
// Also rebuilds the index of the segment before the newest if a crash lost it, and finishes a committed prune
// (segment-rewrite.ts). Runs under the writer lock only.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError, wrapIoError } from '../errors.js';
import { TEMP_MARKER } from '../util/fs-durable.js';
import { FORMAT_VERSION, FORMAT_VERSION_RETENTION } from './format.js';
import { readDurableFloor } from './durable-floor.js';
import { judgeSegmentEnd, summarizeSegment, type SegmentEndJudgement } from './segment-check.js';
import type { LogFileSystem } from './log-fs.js';
import { listSegments, openSegment, type SegmentRef } from './segment-file.js';
import { readSegmentIndex, writeSegmentIndex } from './segment-index.js';
import { createSegment, type ActiveSegment } from './segment-writer.js';
import { finishPrune } from './segment-rewrite.js';
import type { RecoveryReport } from './types.js';

export interface RecoveredLog {
  segment: ActiveSegment;
  nextSeq: number;
  recovery: RecoveryReport | undefined;
}

/** Prepares the newest segment of `dir` for appending (creating segment 0 in an empty log). */
export async function recoverForWrite(dir: string, fs: LogFileSystem): Promise<RecoveredLog> {
  // A prune that committed before its process died is finished first (one that did not leaves only temp files).
  await finishPrune(dir, fs);
  const segments = await listSegments(dir);
  const newest = segments[segments.length - 1];
  if (!newest) {
    const floor = await readDurableFloor(dir, undefined);
    if (floor) throw refuse(floor.source, { kind: 'corrupt', offset: 0, seq: 0, reason: `the log has no segments, but ${floor.source} says ${floor.seq} records were durable`, durableRecords: floor.seq });
    await removeTempFiles(dir);
    return { segment: await createSegment(dir, 0, fs), nextSeq: 0, recovery: undefined };
  }
  const segment = await openSegment(newest, 'r+');
  try {
    const summary = await summarizeSegment(segment);
    const judgement = await judgeSegmentEnd(segment, summary, true, await readDurableFloor(dir, segment));
    let recovery: RecoveryReport | undefined;
    if (judgement.kind === 'corrupt') throw refuse(newest.name, judgement);
    await removeTempFiles(dir);
    if (judgement.kind === 'torn') {
      try {
        await fs.truncate(segment.handle, newest.path, judgement.cutOffset);
        await fs.datasync(segment.handle, newest.path);
      } catch (error) {
        throw wrapIoError(error, 'cut torn tail', newest.path);
      }
      recovery = { segment: newest.name, offset: judgement.cutOffset, bytesCut: judgement.bytesCut, reason: judgement.reason };
    }
    const previous = segments[segments.length - 2];
    if (previous) await ensureIndex(dir, previous, fs);
    const nextSeq = newest.baseSeq + summary.records;
    if (segment.header.formatVersion !== FORMAT_VERSION && segment.header.formatVersion !== FORMAT_VERSION_RETENTION) {
      // An older format's segment is never appended to: a record this version may write (a zstd chunk) would meet
      // an older reader inside a segment whose header promised it the older format. Seal it, start a new one.
      if (summary.records > 0) {
        await writeSegmentIndex(dir, newest.name, { salt: segment.header.salt, segmentBytes: summary.goodBytes, records: summary.records, entries: summary.indexEntries.filter((entry) => entry.offset < summary.goodBytes) }, fs);
      }
      await segment.handle.close().catch(() => {});
      return { segment: await createSegment(dir, nextSeq, fs), nextSeq, recovery };
    }
    return {
      segment: {
        ref: newest,
        handle: segment.handle,
        salt: segment.header.salt,
        size: summary.goodBytes,
        records: summary.records,
        indexEntries: summary.indexEntries.filter((entry) => entry.offset < summary.goodBytes),
        formatVersion: segment.header.formatVersion,
      },
      nextSeq,
      recovery,
    };
  } catch (error) {
    await segment.handle.close().catch(() => {});
    throw error;
  }
}

function refuse(file: string, judgement: Extract<SegmentEndJudgement, { kind: 'corrupt' }>): CorruptionError {
  const why = judgement.durableRecords !== undefined ? '' : '; valid records follow, so it is not a torn tail';
  return new CorruptionError(`log damaged in ${file} at offset ${judgement.offset} (seq ${judgement.seq}): ${judgement.reason}${why}; nothing was cut`, {
    file,
    offset: judgement.offset,
    seq: judgement.seq,
    reason: judgement.reason,
    ...(judgement.durableRecords !== undefined ? { durableRecords: judgement.durableRecords } : {}),
  });
}

/** Writes a sealed segment's index if it has no sound one (a crash between rollover steps). Best effort. */
async function ensureIndex(dir: string, ref: SegmentRef, fs: LogFileSystem): Promise<void> {
  const segment = await openSegment(ref);
  try {
    if (await readSegmentIndex(dir, ref.name, segment.header.salt, segment.size)) return;
    const summary = await summarizeSegment(segment);
    // A damaged sealed segment gets no index; readers and verify report the damage itself.
    if (summary.stop) return;
    await writeSegmentIndex(dir, ref.name, { salt: segment.header.salt, segmentBytes: summary.fileSize, records: summary.records, entries: summary.indexEntries }, fs);
  } finally {
    await segment.handle.close().catch(() => {});
  }
}

/**
 * Removes leftovers of interrupted atomic writes (a new segment's header, an index). Only the lock holder writes
 * such files in a log directory, and it runs this under the lock, so none of them can be in use.
 */
async function removeTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith('.') && n.includes(TEMP_MARKER)).map((n) => rm(join(dir, n), { force: true }).catch(() => {})));
}
