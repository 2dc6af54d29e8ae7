// Walking one whole segment and judging how it ends: the torn-tail rule (docs/format.md "Recovery").
// Owns the decision "torn tail or corruption" for open, verify and readers alike, so they can never disagree.
// Never writes: open cuts what `judgeSegmentEnd` calls torn; verify and readers only report.
// Invariant: a stop is called torn only in the newest segment, and only when no valid frame follows it.
import { LOG_LIMITS } from '../util/limits.js';
import { FRAME_FLAGS, FRAME_HEADER_BYTES, INDEX_INTERVAL_BYTES, SEGMENT_HEADER_BYTES } from './format.js';
import { decodeFrame, decodeFrameHeader } from './frame.js';
import { readAtMost, type OpenSegment } from './segment-file.js';
import { SegmentScanner, WANT_ALL, type ScanStep } from './segment-scanner.js';
import type { IndexEntry } from './segment-index.js';
import { durableLossReason, type DurableFloor } from './durable-floor.js';

const LEND_ALL = (): boolean => true;

/** Where and why a walk stopped before the end of the file. */
export interface SegmentStop {
  offset: number;
  /** Frames before the stop (the seq of the frame at the stop is baseSeq + framesBefore). */
  framesBefore: number;
  reason: string;
  /** 'damage': a frame failed to decode; 'structure': frames decode but atomic groups do not nest. */
  kind: 'incomplete' | 'bad' | 'structure' | 'unfinished-group';
}

export interface SegmentSummary {
  /** Complete records: frames up to the last one that ends a group (or a full frame). */
  records: number;
  /** End of the complete prefix: where a writer would append next. */
  goodBytes: number;
  fileSize: number;
  stop?: SegmentStop;
  /** Sparse seq→offset entries at group boundaries, one per INDEX_INTERVAL_BYTES. */
  indexEntries: IndexEntry[];
}

/** Tracks atomic-group nesting: first (middle)* last, or full; returns a structure error or undefined. */
export class GroupTracker {
  openAt: number | undefined;
  openFrames = 0;

  accept(flags: number, offset: number): string | undefined {
    const inGroup = this.openAt !== undefined;
    if (flags === FRAME_FLAGS.full || flags === FRAME_FLAGS.first) {
      if (inGroup) return 'group-interrupted';
      if (flags === FRAME_FLAGS.first) {
        this.openAt = offset;
        this.openFrames = 1;
      }
      return undefined;
    }
    if (!inGroup) return 'group-without-first';
    this.openFrames++;
    if (flags === FRAME_FLAGS.last) {
      this.openAt = undefined;
      this.openFrames = 0;
    }
    return undefined;
  }
}

/**
 * Reads every frame of `segment` (checksums verified) and summarises it. `onBytes` reports progress.
 * Does not judge a stop; see judgeSegmentEnd.
 */
export async function summarizeSegment(
  segment: OpenSegment,
  onBytes?: (offset: number) => void,
  /** Where to start (verify resumes after damage at the next frame that starts a record); default the first frame. */
  from = SEGMENT_HEADER_BYTES,
): Promise<SegmentSummary> {
  const { size } = await segment.handle.stat();
  const scanner = new SegmentScanner(segment.handle, segment.header.salt, size, from);
  const groups = new GroupTracker();
  const indexEntries: IndexEntry[] = [];
  let frames = 0;
  let records = 0;
  let goodBytes = from;
  let nextIndexAt = 0;
  let lastReported = 0;
  for (;;) {
    // Payloads lent, not copied: only their checksums and framing matter here (a copy was ~1/3 of an open's scan).
    const step: ScanStep = await scanner.next(WANT_ALL, LEND_ALL);
    if (step.kind === 'end') break;
    if (step.kind !== 'frame') {
      return { records, goodBytes, fileSize: size, indexEntries, stop: { offset: step.offset, framesBefore: frames, reason: step.reason, kind: step.kind } };
    }
    const wasOpen = groups.openAt !== undefined;
    const problem = groups.accept(step.flags, step.offset);
    if (problem) {
      return { records, goodBytes, fileSize: size, indexEntries, stop: { offset: step.offset, framesBefore: frames, reason: problem, kind: 'structure' } };
    }
    if (!wasOpen && step.offset >= nextIndexAt) {
      indexEntries.push({ relSeq: frames, offset: step.offset });
      nextIndexAt = step.offset + INDEX_INTERVAL_BYTES;
    }
    frames++;
    if (groups.openAt === undefined) {
      records = frames;
      goodBytes = step.offset + step.frameBytes;
    }
    if (onBytes && step.offset - lastReported >= LOG_LIMITS.readBufferBytes) {
      lastReported = step.offset;
      onBytes(step.offset);
    }
  }
  if (groups.openAt !== undefined) {
    return {
      records,
      goodBytes,
      fileSize: size,
      indexEntries,
      stop: { offset: groups.openAt, framesBefore: records, reason: 'unfinished-atomic-group', kind: 'unfinished-group' },
    };
  }
  return { records, goodBytes, fileSize: size, indexEntries };
}

/**
 * The first verified frame accepted by `accept` that starts after `offset` (every later byte is tried, one read
 * window at a time; a candidate longer than the window is read whole to verify it); undefined when none does. With
 * `maxBytes`, 'too-far' when more than that follow `offset` (not searched). The one frame search of the log: the
 * torn-tail judgement (bounded), verify and readers going on past damage (unbounded).
 * How unlikely a false match is: a candidate must have a length within the file and the record limit and valid
 * flags, and then its xxh64, seeded with this segment's random 64-bit salt, must match: about 2^-64 per tried
 * byte, so under 2^-34 for a whole 1 GiB search. A frame copied from another segment fails (other salt).
 */
export async function findFrameAfter(
  segment: OpenSegment,
  offset: number,
  fileSize: number,
  accept: (flags: number) => boolean,
  maxBytes?: number,
): Promise<number | undefined | 'too-far'> {
  if (maxBytes !== undefined && fileSize - offset > maxBytes) return 'too-far';
  const windowBytes = LOG_LIMITS.readBufferBytes;
  const window = new Uint8Array(windowBytes);
  for (let start = offset + 1; start + FRAME_HEADER_BYTES <= fileSize; start += windowBytes - FRAME_HEADER_BYTES) {
    const got = await readAtMost(segment.handle, window, start);
    const bytes = window.subarray(0, got);
    for (let i = 0; i + FRAME_HEADER_BYTES <= bytes.length && start + i + FRAME_HEADER_BYTES <= fileSize; i++) {
      if (i >= windowBytes - FRAME_HEADER_BYTES && start + windowBytes < fileSize) break; // the next window covers it
      // A window of zeros is what a file extended but never written holds; it is never a frame we wrote.
      if (isZeroWindow(bytes, i)) continue;
      const head = decodeFrameHeader(bytes, i);
      if (head.kind !== 'header' || !accept(head.header.flags)) continue;
      const at = start + i;
      if (at + head.frameBytes > fileSize) continue;
      if (await frameVerifies(segment, bytes, i, at, head.frameBytes)) return at;
    }
    if (got < windowBytes) break;
  }
  return undefined;
}

async function frameVerifies(segment: OpenSegment, bytes: Uint8Array, i: number, at: number, frameBytes: number): Promise<boolean> {
  if (i + frameBytes <= bytes.length) return decodeFrame(bytes, i, segment.header.salt).kind === 'frame';
  const whole = new Uint8Array(frameBytes);
  if ((await readAtMost(segment.handle, whole, at)) < frameBytes) return false;
  return decodeFrame(whole, 0, segment.header.salt).kind === 'frame';
}

/** Flags a record starts with: where a reader or verify can go on after damage. */
export function startsRecord(flags: number): boolean {
  return flags === FRAME_FLAGS.full || flags === FRAME_FLAGS.first;
}

/**
 * True when a valid frame starts anywhere in (offset, fileSize): then the stop at `offset` is mid-log damage.
 * 'too-far' when more than LOG_LIMITS.tailScanBytesMax follow, which no single torn write can leave.
 */
export async function validFrameFollows(segment: OpenSegment, offset: number, fileSize: number): Promise<boolean | 'too-far'> {
  const found = await findFrameAfter(segment, offset, fileSize, () => true, LOG_LIMITS.tailScanBytesMax);
  return found === 'too-far' ? found : found !== undefined;
}

/**
 * Where the next valid frame that starts a record (flags full or first) begins after `offset`, for verify and
 * readers to go on past damage (no distance limit); undefined when there is none.
 */
export async function nextRecordStart(segment: OpenSegment, offset: number, fileSize: number): Promise<number | undefined> {
  const found = await findFrameAfter(segment, offset, fileSize, startsRecord);
  return found === 'too-far' ? undefined : found;
}

function isZeroWindow(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < at + FRAME_HEADER_BYTES; i++) if (bytes[i] !== 0) return false;
  return true;
}

export type SegmentEndJudgement =
  | { kind: 'clean' }
  | { kind: 'torn'; cutOffset: number; bytesCut: number; reason: string }
  | { kind: 'corrupt'; offset: number; seq: number; reason: string; durableRecords?: number };

/**
 * Decides what the end of a summarised segment means (docs/format.md "Recovery"). In the newest segment, an end
 * (clean or torn) below `floor` is corruption: records that were durable are missing or damaged there.
 */
export async function judgeSegmentEnd(
  segment: OpenSegment,
  summary: SegmentSummary,
  newest: boolean,
  floor?: DurableFloor,
): Promise<SegmentEndJudgement> {
  const judgement = await judgeStop(segment, summary, newest);
  const endSeq = segment.ref.baseSeq + summary.records;
  if (!newest || judgement.kind === 'corrupt' || !floor || endSeq >= floor.seq) return judgement;
  const reason = durableLossReason(floor, endSeq, summary.stop?.reason);
  return { kind: 'corrupt', offset: summary.goodBytes, seq: endSeq, reason, durableRecords: floor.seq };
}

async function judgeStop(segment: OpenSegment, summary: SegmentSummary, newest: boolean): Promise<SegmentEndJudgement> {
  const stop = summary.stop;
  if (!stop) return { kind: 'clean' };
  const seq = segment.ref.baseSeq + stop.framesBefore;
  const corrupt = (reason: string): SegmentEndJudgement => ({ kind: 'corrupt', offset: stop.offset, seq, reason });
  if (!newest) return corrupt(stop.kind === 'unfinished-group' ? 'unfinished-atomic-group-in-sealed-segment' : stop.reason);
  if (stop.kind === 'structure') return corrupt(stop.reason);
  if (stop.kind !== 'unfinished-group') {
    const follows = await validFrameFollows(segment, stop.offset, summary.fileSize);
    if (follows === true) return corrupt(`${stop.reason}-followed-by-valid-frames`);
    if (follows === 'too-far') return corrupt(`${stop.reason}-far-from-end`);
  }
  const reason = stop.kind === 'unfinished-group' ? 'unfinished-atomic-group' : `torn-${stop.reason}`;
  return { kind: 'torn', cutOffset: summary.goodBytes, bytesCut: summary.fileSize - summary.goodBytes, reason };
}
