// `prune`: removes what forget records named, and chunks no remaining version references, by rewriting the sealed
// segments that hold them (the log's rewriteSealed: new segments, read back, committed by a manifest rename).
// Owns the choice of what goes and which segments are worth rewriting (--max-unused); the bytes and the commit
// are src/log's. Invariant: a version that stays visible anywhere keeps every chunk it references (a forgotten
// version in a segment this prune leaves alone counts as visible); every kept record keeps its seq.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FORMAT_VERSION_RETENTION, FRAME_HEADER_BYTES, Log, type SegmentRewritePlan } from '../log/index.js';
import { contentIdHex, decodeRecord, peekChunkIdAndSize, RECORD_TAGS } from '../record/index.js';
import { CATALOG_CHECKPOINT_FILE_NAME, CHECKPOINT_FILE_NAME, STAT_CACHE_FILE_NAME } from '../store/index.js';
import { UsageError } from '../errors.js';

export interface PruneOptions {
  /** Leave segments alone while the unused bytes left are at most this fraction of the log (restic's --max-unused). */
  maxUnusedFraction?: number;
  dryRun?: boolean;
  /** Bytes of segments read so far, of the total to rewrite. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Test seam passed to the commit (segment-rewrite.ts). */
  onStep?: (step: string) => Promise<void> | void;
}

export interface PruneReport {
  dryRun: boolean;
  segmentsRewritten: number;
  /** Bytes of the log's segments before and after. */
  bytesBefore: number;
  bytesAfter: number;
  bytesFreed: number;
  /** Payload bytes no visible record needs, before and after (a placeholder's 14-byte frame stays). */
  unusedBytesBefore: number;
  unusedBytesAfter: number;
  versionsRemoved: number;
  chunksRemoved: number;
}

interface SegmentUse {
  name: string;
  bytes: number;
  /** Seqs of forgotten versions and of unreferenced chunks here, with their frame sizes. */
  versions: Map<number, number>;
  chunks: Map<number, { id: string; frameBytes: number }>;
}

interface Scan {
  segments: Map<string, SegmentUse>;
  order: string[];
  forgotten: Set<string>;
  /** Per version record: seq, segment, whether forgotten, the chunk ids it references. */
  versions: { seq: number; segment: string; forgotten: boolean; chunks: string[] }[];
  totalBytes: number;
}

/** Every record's part in the decision: forget records, versions (with their chunks), chunk records by segment. */
async function scanLog(log: Log): Promise<Scan> {
  const infos = await log.segments();
  const segments = new Map<string, SegmentUse>();
  for (const info of infos) segments.set(info.name, { name: info.name, bytes: info.bytes, versions: new Map(), chunks: new Map() });
  const scan: Scan = { segments, order: infos.map((i) => i.name), forgotten: new Set(), versions: [], totalBytes: infos.reduce((n, i) => n + i.bytes, 0) };
  const versionAt = new Map<number, string>();
  const tags = [RECORD_TAGS.chunk, RECORD_TAGS.version, RECORD_TAGS.forget];
  for await (const entry of log.read({ tags, lendTags: [RECORD_TAGS.chunk] })) {
    const where = { file: entry.segment, offset: entry.offset, seq: entry.seq };
    const use = segments.get(entry.segment)!;
    if (entry.tag === RECORD_TAGS.chunk) {
      const peeked = peekChunkIdAndSize(entry.payload);
      const id = peeked ? contentIdHex(peeked.id) : (() => {
        const record = decodeRecord(entry.tag, entry.payload, where);
        return record.kind === 'chunk' ? contentIdHex(record.id) : '';
      })();
      use.chunks.set(entry.seq, { id, frameBytes: FRAME_HEADER_BYTES + entry.payload.length });
      continue;
    }
    const record = decodeRecord(entry.tag, entry.payload, where);
    if (record.kind === 'forget') {
      for (const id of record.versionIds) scan.forgotten.add(id);
    } else if (record.kind === 'version') {
      versionAt.set(entry.seq, record.versionId);
      use.versions.set(entry.seq, FRAME_HEADER_BYTES + entry.payload.length);
      scan.versions.push({ seq: entry.seq, segment: entry.segment, forgotten: false, chunks: (record.chunks ?? []).map((c) => contentIdHex(c.id)) });
    }
  }
  for (const version of scan.versions) version.forgotten = scan.forgotten.has(versionAt.get(version.seq)!);
  return scan;
}

/** What would go from each segment if exactly `rewritten` are rewritten (chunks of visible versions stay). */
function plan(scan: Scan, rewritten: ReadonlySet<string>): { plans: Map<string, { drop: Set<number>; bytes: number }>; versions: number; chunks: number } {
  const live = new Set<string>();
  const dropped = new Set<number>();
  for (const v of scan.versions) {
    if (v.forgotten && rewritten.has(v.segment)) dropped.add(v.seq);
    else for (const id of v.chunks) live.add(id);
  }
  const plans = new Map<string, { drop: Set<number>; bytes: number }>();
  let versions = 0;
  let chunks = 0;
  for (const name of scan.order) {
    const use = scan.segments.get(name)!;
    const drop = new Set<number>();
    let bytes = 0;
    for (const [seq, frameBytes] of use.versions) {
      if (!dropped.has(seq)) continue;
      drop.add(seq);
      bytes += frameBytes - FRAME_HEADER_BYTES;
      versions++;
    }
    for (const [seq, chunk] of use.chunks) {
      if (live.has(chunk.id) || !rewritten.has(name)) continue;
      drop.add(seq);
      bytes += chunk.frameBytes - FRAME_HEADER_BYTES;
      chunks++;
    }
    plans.set(name, { drop, bytes });
  }
  return { plans, versions, chunks };
}

/** Payload bytes a plan frees (only rewritten segments free anything). */
function freedBy(planned: ReturnType<typeof plan>): number {
  let bytes = 0;
  for (const p of planned.plans.values()) bytes += p.bytes;
  return bytes;
}

/**
 * The segments to rewrite: the fewest, most unused first (restic's repack order), such that the unused bytes left
 * are at most `maxUnused` of the log *as this prune leaves it*, so a second prune with the same setting finds
 * nothing to do. What a segment frees alone (the all-rewritten plan) overstates what it frees in a partial
 * rewrite: a forgotten version in a segment left alone keeps its chunks. So the choice made on that estimate is
 * checked against the real plan, and more segments are added (twice as many each round, so a few rounds at most)
 * until the real plan settles or every candidate is in.
 */
function chooseSegments(scan: Scan, sealed: ReadonlySet<string>, maxUnused: number): { unusedBefore: number; chosen: Set<string>; final: ReturnType<typeof plan> } {
  const all = plan(scan, sealed);
  const unusedBefore = freedBy(all);
  const candidates = [...all.plans.entries()].filter(([name, p]) => sealed.has(name) && p.drop.size > 0).sort((a, b) => b[1].bytes - a[1].bytes);
  const settled = (freed: number): boolean => unusedBefore - freed <= maxUnused * (scan.totalBytes - freed);
  const chosen = new Set<string>();
  let next = 0;
  let estimate = 0;
  let extraMin = 1;
  for (;;) {
    while (next < candidates.length && !settled(estimate)) {
      const [name, p] = candidates[next++]!;
      chosen.add(name);
      estimate += p.bytes;
    }
    const final = plan(scan, chosen);
    const freed = freedBy(final);
    if (settled(freed) || next === candidates.length) return { unusedBefore, chosen, final };
    // Short of the target on the real plan: at least extraMin more candidates, then estimate from the real figure.
    for (let i = 0; i < extraMin && next < candidates.length; i++) chosen.add(candidates[next++]![0]);
    extraMin *= 2;
    estimate = freed;
  }
}

/** Prunes the open writer `log` (a read-only one for a dry run). */
export async function pruneLog(log: Log, options: PruneOptions = {}): Promise<PruneReport> {
  const maxUnused = options.maxUnusedFraction ?? 0.05;
  if (!(maxUnused >= 0 && maxUnused <= 1)) throw new UsageError(`--max-unused must be between 0% and 100%, not ${maxUnused * 100}%`);
  // Everything recorded so far is prunable: the plan counts the newest segment as sealed, and a prune that rewrites
  // anything seals it before the rewrite (a roll keeps every byte and position, so the plan still holds). A prune
  // with nothing to do, as a dry run, reads the log once and writes nothing: no small segment left by each
  // scheduled pass that found nothing. The caller is the log's only writer, so nothing is appended meanwhile.
  const scan = await scanLog(log);
  const { unusedBefore, chosen, final } = chooseSegments(scan, new Set(scan.order), maxUnused);
  // A chosen segment whose chunks all stayed live (held by a forgotten version left elsewhere) is not rewritten.
  const plans: SegmentRewritePlan[] = [...chosen].map((name) => ({ name, drop: final.plans.get(name)!.drop })).filter((p) => p.drop.size > 0);
  const bytesTotal = plans.reduce((n, p) => n + scan.segments.get(p.name)!.bytes, 0);
  const freedEstimate = plans.reduce((n, p) => n + final.plans.get(p.name)!.bytes, 0);
  const report: PruneReport = {
    dryRun: options.dryRun === true,
    segmentsRewritten: plans.length,
    bytesBefore: scan.totalBytes,
    bytesAfter: scan.totalBytes - freedEstimate,
    bytesFreed: freedEstimate,
    unusedBytesBefore: unusedBefore,
    unusedBytesAfter: unusedBefore - freedEstimate,
    versionsRemoved: final.versions,
    chunksRemoved: final.chunks,
  };
  if (options.dryRun || plans.length === 0) return report;
  await log.rollOver(FORMAT_VERSION_RETENTION);
  await log.rewriteSealed(plans, {
    placeholderTag: RECORD_TAGS.pruned,
    onBytes: (done) => options.onProgress?.(done, bytesTotal),
    onStep: options.onStep,
  });
  // The chunk index and catalog checkpoints and the stat cache point into the old segments: all are derived and
  // rebuilt (the checkpoints' own staleness checks would refuse them too; removing them says so plainly).
  await rm(join(log.dir, CHECKPOINT_FILE_NAME), { force: true });
  await rm(join(log.dir, CATALOG_CHECKPOINT_FILE_NAME), { force: true });
  await rm(join(log.dir, STAT_CACHE_FILE_NAME), { force: true });
  const after = (await log.segments()).reduce((n, s) => n + s.bytes, 0);
  report.bytesAfter = after;
  report.bytesFreed = scan.totalBytes - after;
  return report;
}
