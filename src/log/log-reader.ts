// Reading records in seq order across segments, optionally following the live end (docs/format.md "Recovery" for
// how a reader treats the end of the newest segment). Owns: positioning at fromSeq (via a segment's sparse index,
// verified), the tags filter (skipped payloads are not read), holding back an atomic group until its last frame is
// there, and stopping with CorruptionError right before mid-log damage. Never writes and never cuts anything.
// Invariant: records are yielded in seq order with no gaps; a record is yielded only if its frame verified and
// only once it is durable (the writer's own process knows; others go by the published watermark: watermark.ts).
import { CorruptionError, UsageError } from '../errors.js';
import { durableLossReason } from './durable-floor.js';
import { FRAME_FLAGS, SEGMENT_HEADER_BYTES, WATERMARK_FILE_NAME } from './format.js';
import type { ChangeSignal } from './follow.js';
import { GroupTracker, nextRecordStart, validFrameFollows } from './segment-check.js';
import { listSegments, openSegment, type OpenSegment, type SegmentRef } from './segment-file.js';
import { findIndexEntry, readSegmentIndex, type IndexEntry } from './segment-index.js';
import type { ClaimRelease, FrameMaps, KnownFrame } from './frame-map.js';
import { SegmentScanner, WANT_NONE, type ScanStep } from './segment-scanner.js';
import { seqAfterDamage, skippedRegion } from './resync.js';
import { readTailView, type TailView, type TailViews } from './tail-views.js';
import type { LogEntry, ReadOptions, SkippedRegion } from './types.js';
import type { WatermarkGate } from './watermark.js';

export interface ReaderContext {
  dir: string;
  changes: ChangeSignal;
  /** Records at or above this seq are not yet durable (only for the writer's own Log). */
  durableLimit?: () => number;
  /** Other processes: how far the writer's published durable watermark lets a reader go (watermark.ts). */
  watermark?: WatermarkGate;
  /** A lower bound on durable records (durable-floor.ts): the log ending below it is loss, not "not yet written". */
  durableFloor?: () => number | undefined;
  isClosed: () => boolean;
  /**
   * Given (a read-only Log opened with skipDamaged): mid-log damage is read past at the next frame that verifies
   * and reported here instead of stopping the read with CorruptionError (resync.ts).
   */
  onSkipped?: (region: SkippedRegion) => void;
  /**
   * The writer's own sparse index of its active segment (by name), kept in memory as it appends: a read from a seq
   * in that segment starts near it instead of walking the segment from its header (a 64 MiB segment of chunk
   * records is ~0.1 s of checksums per read; a store's open reads it twice). A hint, verified like a sealed one's.
   */
  activeIndex?: () => { name: string; entries: readonly IndexEntry[] };
  /** Frames this Log's readers verified and found durable (frame-map.ts): passed by without reading them again. */
  frameMaps?: FrameMaps;
  /** What following readers of this Log learn at the end of a segment, shared per change generation (tail-views.ts). */
  tailViews?: TailViews;
}

interface Position {
  segment: OpenSegment;
  scanner: SegmentScanner;
  /** Seq of the frame at scanner.offset. */
  seq: number;
  groups: GroupTracker;
  /** A group whose last frame was seen ends here; frames before it may be yielded. */
  confirmedTo: number;
  /** Set after damage whose following seqs could not be proven: nothing more of this segment is read. */
  seqUnknown?: boolean;
  /** The oldest generation tag of the views used since the last wait (tail-views.ts): the wait is on no later one. */
  viewGeneration?: number;
}

function corruption(segment: SegmentRef, offset: number, seq: number, reason: string): CorruptionError {
  return new CorruptionError(`log damaged in ${segment.name} at offset ${offset} (seq ${seq}): ${reason}`, {
    file: segment.name,
    offset,
    seq,
    reason,
  });
}

async function openAt(dir: string, ref: SegmentRef, fromSeq: number, sealed: boolean, active?: ReaderContext['activeIndex'], frameMaps?: FrameMaps): Promise<Position> {
  const segment = await openSegment(ref);
  const scanner = new SegmentScanner(segment.handle, segment.header.salt, segment.size);
  scanner.known = frameMaps?.forSegment(segment.identity, segment.header.salt);
  const position: Position = { segment, scanner, seq: ref.baseSeq, groups: new GroupTracker(), confirmedTo: SEGMENT_HEADER_BYTES };
  if (fromSeq <= ref.baseSeq) return position;
  const activeIndex = sealed ? undefined : active?.();
  if (!sealed && activeIndex?.name !== ref.name) return position;
  const entries = activeIndex ? activeIndex.entries : (await readSegmentIndex(dir, ref.name, segment.header.salt, segment.size))?.entries;
  const entry = entries && findIndexEntry(entries, fromSeq - ref.baseSeq);
  if (!entry || entry.offset < SEGMENT_HEADER_BYTES) return position;
  // The index is only a hint: the frame it names must verify and start a group, or the scan starts at the header.
  scanner.seek(entry.offset);
  const probe = await scanner.next();
  if (probe.kind === 'frame' && (probe.flags === FRAME_FLAGS.full || probe.flags === FRAME_FLAGS.first)) {
    scanner.seek(entry.offset);
    position.seq = ref.baseSeq + entry.relSeq;
    position.confirmedTo = entry.offset;
  } else scanner.seek(SEGMENT_HEADER_BYTES);
  return position;
}

/** A whole atomic group, found ahead of the reader: where it ends and its frames, each verified (or known). */
interface GroupAhead {
  end: number;
  frames: { offset: number; frame: KnownFrame }[];
}

/** Looks ahead from a group's first frame for its last; returns the group, or undefined if it is not all there yet. */
async function findGroupEnd(position: Position, firstOffset: number): Promise<GroupAhead | undefined> {
  const ahead = new SegmentScanner(position.segment.handle, position.segment.header.salt, position.scanner.fileSize, firstOffset);
  ahead.known = position.scanner.known;
  const frames: GroupAhead['frames'] = [];
  for (;;) {
    const step = await ahead.next(WANT_NONE);
    if (step.kind !== 'frame') return undefined;
    frames.push({ offset: step.offset, frame: { frameBytes: step.frameBytes, tag: step.tag, flags: step.flags } });
    if (frames.length === 1) continue;
    if (step.flags === FRAME_FLAGS.last) return { end: step.offset + step.frameBytes, frames };
    if (step.flags !== FRAME_FLAGS.middle) return undefined;
  }
}

/** Records below this seq are durable as far as this reader knows now (without asking the watermark again). */
function durableBelow(ctx: ReaderContext): number {
  if (ctx.durableLimit) return ctx.durableLimit();
  if (ctx.watermark) return ctx.watermark.cached;
  return Number.POSITIVE_INFINITY;
}

/** The claim on the frame at the scanner's offset when it is not known yet (SegmentFrameMap.claim). */
async function claimFrame(scanner: SegmentScanner): Promise<ClaimRelease | undefined> {
  const claimed = scanner.known?.claim(scanner.offset);
  return claimed instanceof Promise ? await claimed : claimed;
}

/** The one check every reader of `fromSeq` makes, local or remote (src/net), so both refuse alike. */
export function checkFromSeq(fromSeq: number): void {
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw new UsageError(`fromSeq must be a non-negative integer, not ${fromSeq}`, { fromSeq });
}

export async function* readLog(ctx: ReaderContext, options: ReadOptions = {}): AsyncIterableIterator<LogEntry> {
  const fromSeq = options.fromSeq ?? 0;
  checkFromSeq(fromSeq);
  const tags = options.tags ? new Set(options.tags) : undefined;
  const lent = options.lendTags?.length ? new Set(options.lendTags) : undefined;
  const follow = options.follow === true;
  const signal = options.signal;
  const stopped = () => signal?.aborted === true || ctx.isClosed();
  if (follow) ctx.changes.enter();
  let position: Position | undefined;
  try {
    for (;;) {
      if (stopped()) return;
      const generation = ctx.changes.generation;
      if (!position) {
        position = await startPosition(ctx.dir, fromSeq, ctx.activeIndex, ctx.frameMaps);
        if (!position) {
          if (!follow) return;
          await ctx.changes.wait(generation, signal);
          continue;
        }
      }
      const outcome = yield* readAvailable(ctx, position, fromSeq, tags, lent, stopped, options.withFrames === true);
      if (outcome === 'stopped') return;
      const next = await whereNext(ctx, position, outcome, follow);
      if (next === 'continue') continue;
      if (next !== 'wait') {
        await position.segment.handle.close();
        position = next;
        continue;
      }
      if (!follow) return;
      await ctx.changes.wait(Math.min(generation, position.viewGeneration ?? generation), signal);
      position.viewGeneration = undefined;
      position.scanner.seek(position.scanner.offset);
      if (ctx.tailViews) position.scanner.useSize((await tailViewOf(ctx, position, follow)).size);
      else await position.scanner.refreshSize();
    }
  } finally {
    if (follow) ctx.changes.leave();
    await position?.segment.handle.close().catch(() => {});
  }
}

async function startPosition(dir: string, fromSeq: number, activeIndex?: ReaderContext['activeIndex'], frameMaps?: FrameMaps): Promise<Position | undefined> {
  const segments = await listSegments(dir).catch(() => []);
  if (segments.length === 0) return undefined;
  let at = 0;
  for (let i = 0; i < segments.length; i++) if (segments[i]!.baseSeq <= fromSeq) at = i;
  return openAt(dir, segments[at]!, fromSeq, at < segments.length - 1, activeIndex, frameMaps);
}

type StopOutcome = { kind: 'end' } | { kind: 'not-durable' } | { kind: 'damage'; step: Exclude<ScanStep, { kind: 'frame' } | { kind: 'end' }> | { kind: 'group'; offset: number } };

/** Yields every available record from the position; returns why it stopped. */
async function* readAvailable(
  ctx: ReaderContext,
  position: Position,
  fromSeq: number,
  tags: Set<number> | undefined,
  lent: Set<number> | undefined,
  stopped: () => boolean,
  withFrames: boolean,
): AsyncGenerator<LogEntry, StopOutcome | 'stopped'> {
  const { segment, scanner } = position;
  const want = (tag: number) => position.seq >= fromSeq && (!tags || tags.has(tag));
  for (;;) {
    if (stopped()) return 'stopped';
    const limit = ctx.durableLimit?.();
    if (limit !== undefined && position.seq >= limit) return { kind: 'not-durable' };
    const at = scanner.offset;
    // Asked only when bytes are there beyond the last watermark seen (reading to the end costs nothing extra), and
    // before they are read: followers waiting at the watermark would each read and checksum the frame beyond it on
    // every wake of the directory watch (every write of the writer's).
    if (ctx.watermark && position.seq >= ctx.watermark.cached && at < scanner.fileSize) {
      const published = await ctx.watermark.limitFor(position.seq, { name: segment.ref.name, handle: segment.handle });
      if (position.seq >= published) return { kind: 'not-durable' };
    }
    // Held until the frame is checked and noted, never across the yield below.
    const release = await claimFrame(scanner);
    let entry: LogEntry | undefined;
    try {
      const step = await scanner.next((tag) => want(tag), lent && ((tag) => lent.has(tag)), withFrames);
      if (step.kind === 'end') return { kind: 'end' };
      if (step.kind !== 'frame') return { kind: 'damage', step };
      const problem = position.groups.accept(step.flags, step.offset);
      if (problem) {
        if (!ctx.onSkipped) throw corruption(segment.ref, step.offset, position.seq, problem);
        await skipPast(ctx, position, step.offset, problem);
        continue;
      }
      if (step.flags === FRAME_FLAGS.first && at >= position.confirmedTo) {
        const group = await findGroupEnd(position, at);
        if (group === undefined) {
          // The group is not all there yet: rewind to its first frame and treat it as the end for now.
          scanner.seek(at);
          position.groups = new GroupTracker();
          return { kind: 'damage', step: { kind: 'group', offset: at } };
        }
        position.confirmedTo = group.end;
        // The look-ahead verified the whole group: when all of it is durable, other readers (and this one's scan
        // through it) may pass its frames by now, instead of each reading the group twice (look-ahead, then scan).
        if (position.seq + group.frames.length <= durableBelow(ctx)) for (const { offset, frame } of group.frames) scanner.known?.note(offset, frame);
      }
      // Verified, durable (below the writer's limit or its published watermark, both checked above) and in a group that
      // is all there: other readers of this Log may pass it by without reading it again (frame-map.ts).
      scanner.known?.note(step.offset, { frameBytes: step.frameBytes, tag: step.tag, flags: step.flags });
      const seq = position.seq++;
      if (step.payload !== undefined && want(step.tag)) {
        entry = { seq, segment: segment.ref.name, offset: step.offset, tag: step.tag, payload: step.payload };
        if (step.frame) {
          entry.frame = step.frame;
          entry.salt = segment.header.salt;
        }
      }
    } finally {
      release?.();
    }
    if (entry) yield entry;
  }
}

/** The floor, the listing and the segment's size (readTailView keeps their order); a follower shares them (TailViews). */
async function tailViewOf(ctx: ReaderContext, position: Position, follow: boolean): Promise<TailView> {
  const { segment } = position;
  if (follow && ctx.tailViews) {
    const view = await ctx.tailViews.view(segment.identity, segment.handle);
    position.viewGeneration = Math.min(position.viewGeneration ?? view.generation, view.generation);
    return view;
  }
  return readTailView(ctx.dir, ctx.durableFloor, segment.handle, ctx.changes.generation);
}

/** After a stop: move to the next segment, keep reading (the file grew), or wait (follow) / finish. */
async function whereNext(ctx: ReaderContext, position: Position, outcome: StopOutcome, follow: boolean): Promise<Position | 'continue' | 'wait'> {
  if (outcome.kind === 'not-durable') return 'wait';
  const dir = ctx.dir;
  const { segment, scanner } = position;
  const { floor, segments, size } = await tailViewOf(ctx, position, follow);
  const later = segments.find((s) => s.baseSeq > segment.ref.baseSeq);
  const sizeBefore = scanner.fileSize;
  if (scanner.useSize(size) !== sizeBefore) {
    scanner.seek(scanner.offset);
    return 'continue';
  }
  if (outcome.kind === 'end') {
    if (!later) return waitAtEnd(position, floor, undefined);
    if (position.groups.openAt !== undefined) throw corruption(segment.ref, position.groups.openAt, position.seq, 'unfinished-atomic-group-in-sealed-segment');
    if (later.baseSeq !== position.seq && !position.seqUnknown) {
      const reason = `segment starts at seq ${later.baseSeq}, expected ${position.seq}`;
      if (!ctx.onSkipped) throw corruption(later, 0, position.seq, reason);
      ctx.onSkipped(skippedRegion(later.name, 0, 0, position.seq, later.baseSeq, reason));
    }
    return openAt(dir, later, later.baseSeq, false, undefined, ctx.frameMaps);
  }
  const step = outcome.step;
  const reason = 'reason' in step ? step.reason : 'unfinished-atomic-group-in-sealed-segment';
  if (later) {
    if (!ctx.onSkipped) throw corruption(segment.ref, step.offset, position.seq, reason);
    await skipPast(ctx, position, step.offset, reason, later.baseSeq);
    return 'continue';
  }
  if (step.kind !== 'group') {
    const follows = await validFrameFollows(segment, step.offset, scanner.fileSize);
    if (follows !== false) {
      const damage = `${step.reason}${follows === true ? '-followed-by-valid-frames' : '-far-from-end'}`;
      if (!ctx.onSkipped) throw corruption(segment.ref, step.offset, position.seq, damage);
      await skipPast(ctx, position, step.offset, damage, undefined);
      return 'continue';
    }
  }
  // An incomplete frame or group at the end of the newest segment: not yet written (or a torn tail a writer cuts).
  scanner.seek(step.offset);
  return waitAtEnd(position, floor, 'reason' in step ? step.reason : 'unfinished-atomic-group');
}

/** The end of the newest segment: "not yet written", unless records below the durable floor are missing there. */
function waitAtEnd(position: Position, floor: number | undefined, stopReason: string | undefined): 'wait' {
  if (floor === undefined || position.seq >= floor) return 'wait';
  const reason = durableLossReason({ seq: floor, source: WATERMARK_FILE_NAME }, position.seq, stopReason);
  throw corruption(position.segment.ref, position.scanner.offset, position.seq, reason);
}

/**
 * Moves the position past damage that starts at `damagedAt` (the frame at position.seq): to the next frame that
 * starts a record and verifies, with its seq when it can be proven (resync.ts), and reports the skipped region.
 * When there is no such frame, or its seq is unknown, the rest of the segment is skipped (and reported so).
 * `nextBaseSeq`: the next segment's base seq, undefined in the newest segment (looked up when not given).
 */
async function skipPast(ctx: ReaderContext, position: Position, damagedAt: number, reason: string, nextBaseSeq?: number): Promise<void> {
  const { segment, scanner } = position;
  const report = ctx.onSkipped!;
  if (nextBaseSeq === undefined) nextBaseSeq = (await listSegments(ctx.dir)).find((s) => s.baseSeq > segment.ref.baseSeq)?.baseSeq;
  const fileSize = scanner.fileSize;
  const damagedSeq = position.seq;
  const resumeAt = await nextRecordStart(segment, damagedAt, fileSize);
  const seq = resumeAt === undefined ? undefined
    : await seqAfterDamage({ dir: ctx.dir, segment, fileSize, nextBaseSeq, sealed: nextBaseSeq !== undefined }, damagedAt, damagedSeq, resumeAt);
  position.groups = new GroupTracker();
  if (resumeAt === undefined || seq === undefined) {
    const why = resumeAt === undefined ? reason : `${reason}; seqs after it unknown, rest of segment not read`;
    report(skippedRegion(segment.ref.name, damagedAt, fileSize, damagedSeq, resumeAt === undefined ? nextBaseSeq : undefined, why));
    position.seqUnknown = true;
    scanner.seek(fileSize);
    position.confirmedTo = fileSize;
    return;
  }
  report(skippedRegion(segment.ref.name, damagedAt, resumeAt, damagedSeq, seq, reason));
  scanner.seek(resumeAt);
  position.seq = seq;
  position.confirmedTo = resumeAt;
}
