// Rewriting sealed segments without some of their records, committed all at once (docs/format.md "Prune commit").
// Payload-agnostic: the caller names the seqs to drop and the tag of the placeholder frame that takes each dropped
// record's place (so every kept record keeps its seq). Owns the commit protocol: new segments under hidden temp
// names, fdatasynced and read back; then the PRUNE manifest (temp, fsync, rename, fsync dir) is the commit point;
// then each new segment is renamed over its old one, newest first, each rename made durable before the next.
// Invariant: a crash at any moment leaves the old segments (no manifest: the temp files are leftovers) or a
// committed manifest that the next writer (or prune) rolls forward; never a segment missing a kept record.
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError, UsageError, wrapIoError } from '../errors.js';
import { assert } from '../util/assert.js';
import { LIMITS } from '../util/limits.js';
import { xxh64 } from './checksum.js';
import { FORMAT_VERSION_RETENTION, PRUNE_MANIFEST_FILE_NAME, PRUNE_TEMP_SUFFIX } from './format.js';
import { frameBytesFor } from './frame.js';
import { layoutFrames, writePiecesAll, type FrameSpec } from './frame-batch.js';
import type { LogFileSystem } from './log-fs.js';
import { GroupTracker, summarizeSegment } from './segment-check.js';
import { listSegments, openSegment, type SegmentRef } from './segment-file.js';
import { encodeSegmentHeader } from './segment-header.js';
import { writeSegmentIndex, type IndexEntry } from './segment-index.js';
import { parseSegmentFileName } from './segment-name.js';
import { SegmentScanner, WANT_ALL } from './segment-scanner.js';

/** One sealed segment to rewrite: the seqs of its records that go (each replaced by a placeholder frame). */
export interface SegmentRewritePlan {
  name: string;
  drop: ReadonlySet<number>;
}

export interface RewriteOptions {
  fs: LogFileSystem;
  /** The tag of the frame left at a dropped record's seq (the record layer's `pruned`). */
  placeholderTag: number;
  /** Bytes of old segments read so far (progress). */
  onBytes?: (bytesDone: number) => void;
  /** Test seam: called between the commit protocol's steps, by name (a fault test kills the process there). */
  onStep?: (step: string) => Promise<void> | void;
}

export interface RewrittenSegment {
  name: string;
  bytesBefore: number;
  bytesAfter: number;
  records: number;
  dropped: number;
}

interface ManifestEntry {
  name: string;
  /** The new segment's salt (hex), so a roll-forward renames only the file this prune wrote. */
  salt: string;
  bytes: number;
  records: number;
}

interface PruneManifest {
  format: 1;
  time: number;
  segments: ManifestEntry[];
}

/** Frames written per vectored write while copying a segment. */
const COPY_BATCH_FRAMES = 256;
const COPY_BATCH_BYTES = 8 * 1024 * 1024;

function tempSegmentPath(dir: string, name: string): string {
  return join(dir, `.${name}${PRUNE_TEMP_SUFFIX}`);
}

/** Segment files being rewritten have this hidden name until the commit renames them. */
export function isPruneTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(PRUNE_TEMP_SUFFIX);
}

/**
 * Rewrites the planned sealed segments and commits them as one prune. The caller holds the writer lock and has
 * sealed the segments (none of them is the newest). Resolves once the new segments are in place, durable, indexed.
 */
export async function rewriteSegments(dir: string, plans: readonly SegmentRewritePlan[], options: RewriteOptions): Promise<RewrittenSegment[]> {
  if (plans.length > LIMITS.pruneSegmentsMax) throw new UsageError(`a prune rewrites at most ${LIMITS.pruneSegmentsMax} segments at once`);
  await finishPrune(dir, options.fs);
  const refs = await listSegments(dir);
  const newest = refs[refs.length - 1];
  const done: RewrittenSegment[] = [];
  const entries: ManifestEntry[] = [];
  let bytesDone = 0;
  for (const plan of plans) {
    const ref = refs.find((r) => r.name === plan.name);
    if (!ref) throw new UsageError(`no segment ${plan.name} to rewrite`);
    assert(ref !== newest, 'the newest segment is never rewritten');
    const written = await copySegment(dir, ref, plan.drop, options, (bytes) => options.onBytes?.(bytesDone + bytes));
    bytesDone += written.result.bytesBefore;
    done.push(written.result);
    entries.push(written.entry);
  }
  if (entries.length === 0) return done;
  await options.onStep?.('written');
  await options.fs.syncDir(dir);
  const manifest: PruneManifest = { format: 1, time: Date.now(), segments: entries };
  await options.fs.writeFileAtomic(join(dir, PRUNE_MANIFEST_FILE_NAME), new TextEncoder().encode(JSON.stringify(manifest)));
  await options.onStep?.('committed');
  await rollForward(dir, manifest, options.fs, options.onStep);
  return done;
}

/** Copies `ref` to its temp name without the dropped seqs, fdatasyncs it and reads it back. */
async function copySegment(
  dir: string,
  ref: SegmentRef,
  drop: ReadonlySet<number>,
  options: RewriteOptions,
  onBytes: (bytes: number) => void,
): Promise<{ result: RewrittenSegment; entry: ManifestEntry }> {
  const source = await openSegment(ref);
  const target = tempSegmentPath(dir, ref.name);
  let handle: FileHandle | undefined;
  try {
    const salt = randomBytes(8).readBigUInt64LE(0);
    handle = await open(target, 'w').catch((error: unknown) => {
      throw wrapIoError(error, 'create rewritten segment', target);
    });
    const header = encodeSegmentHeader(ref.baseSeq, salt, FORMAT_VERSION_RETENTION);
    await writePiecesAll(handle, [header], 0);
    const scanner = new SegmentScanner(source.handle, source.header.salt, source.size);
    const groups = new GroupTracker();
    const kept: bigint[] = [];
    let batch: FrameSpec[] = [];
    let batchBytes = 0;
    let size = header.length;
    let seq = ref.baseSeq;
    let dropped = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const { pieces, bytes } = layoutFrames(batch, salt);
      await writePiecesAll(handle!, pieces, size);
      size += bytes;
      batch = [];
      batchBytes = 0;
    };
    for (;;) {
      const step = await scanner.next(WANT_ALL);
      if (step.kind === 'end') break;
      if (step.kind !== 'frame') throw damagedSource(ref, step.offset, seq, step.reason);
      const problem = groups.accept(step.flags, step.offset);
      if (problem) throw damagedSource(ref, step.offset, seq, problem);
      const goes = drop.has(seq);
      const payload = goes ? new Uint8Array(0) : step.payload!;
      if (goes) dropped++;
      else kept.push(xxh64(payload, 0n));
      batch.push({ tag: goes ? options.placeholderTag : step.tag, flags: step.flags, payload });
      batchBytes += frameBytesFor(payload.length);
      seq++;
      if (batch.length >= COPY_BATCH_FRAMES || batchBytes >= COPY_BATCH_BYTES) {
        await flush();
        onBytes(scanner.offset);
      }
    }
    if (groups.openAt !== undefined) throw damagedSource(ref, groups.openAt, seq, 'unfinished-atomic-group-in-sealed-segment');
    await flush();
    await options.fs.datasync(handle, target).catch((error: unknown) => {
      throw wrapIoError(error, 'fsync rewritten segment', target);
    });
    await handle.close();
    handle = undefined;
    onBytes(source.size);
    const records = seq - ref.baseSeq;
    await checkCopy(ref, target, salt, records, kept, drop);
    return {
      result: { name: ref.name, bytesBefore: source.size, bytesAfter: size, records, dropped },
      entry: { name: ref.name, salt: salt.toString(16), bytes: size, records },
    };
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(target, { force: true }).catch(() => {});
    throw error;
  } finally {
    await source.handle.close().catch(() => {});
  }
}

function damagedSource(ref: SegmentRef, offset: number, seq: number, reason: string): CorruptionError {
  return new CorruptionError(`cannot prune ${ref.name}: damaged at offset ${offset} (seq ${seq}): ${reason}; run synclog verify`, { file: ref.name, offset, seq, reason });
}

/** Reads the new file back (restic's "check your own output"): every frame verifies, kept payloads are unchanged. */
async function checkCopy(ref: SegmentRef, path: string, salt: bigint, records: number, kept: readonly bigint[], drop: ReadonlySet<number>): Promise<void> {
  const copy = await openSegment({ ...ref, path });
  try {
    assert(copy.header.salt === salt && copy.header.formatVersion === FORMAT_VERSION_RETENTION, 'rewritten header reads back');
    const scanner = new SegmentScanner(copy.handle, salt, copy.size);
    let seq = ref.baseSeq;
    let keptAt = 0;
    for (;;) {
      const step = await scanner.next(WANT_ALL);
      if (step.kind === 'end') break;
      if (step.kind !== 'frame') throw new CorruptionError(`rewritten ${ref.name} does not read back at offset ${step.offset}: ${step.reason}`, { file: path, offset: step.offset, seq, reason: step.reason });
      if (!drop.has(seq)) {
        if (xxh64(step.payload!, 0n) !== kept[keptAt]) throw new CorruptionError(`rewritten ${ref.name}: record ${seq} differs from the original`, { file: path, offset: step.offset, seq, reason: 'rewrite-mismatch' });
        keptAt++;
      }
      seq++;
    }
    if (seq - ref.baseSeq !== records || keptAt !== kept.length) {
      throw new CorruptionError(`rewritten ${ref.name} holds ${seq - ref.baseSeq} records, expected ${records}`, { file: path, offset: copy.size, seq, reason: 'rewrite-count-mismatch' });
    }
  } finally {
    await copy.handle.close().catch(() => {});
  }
}

/** Renames each committed segment over its old one (newest first), indexes it, then removes the manifest. */
async function rollForward(dir: string, manifest: PruneManifest, fs: LogFileSystem, onStep?: (step: string) => Promise<void> | void): Promise<void> {
  // Newest first: a chunk is always older than every version that references it, so while only some segments are
  // replaced, every version a reader can still see has all its chunks (docs/format.md "Prune commit").
  const ordered = [...manifest.segments].sort((a, b) => parseSegmentFileName(b.name)! - parseSegmentFileName(a.name)!);
  for (const entry of ordered) {
    const temp = tempSegmentPath(dir, entry.name);
    const path = join(dir, entry.name);
    if (await hasSalt(temp, entry)) {
      await rename(temp, path).catch((error: unknown) => {
        throw wrapIoError(error, 'replace pruned segment', path);
      });
      await fs.syncDir(dir);
      await onStep?.('renamed');
    } else if (!(await hasSalt(path, entry))) {
      throw new CorruptionError(`the prune manifest names ${entry.name} with salt ${entry.salt}, but neither the segment nor its rewrite has it`, {
        file: PRUNE_MANIFEST_FILE_NAME,
        offset: 0,
        reason: 'prune-manifest-mismatch',
      });
    }
  }
  for (const entry of ordered) await indexSegment(dir, entry.name, fs);
  await fs.syncDir(dir);
  await rm(join(dir, PRUNE_MANIFEST_FILE_NAME), { force: true }).catch((error: unknown) => {
    throw wrapIoError(error, 'remove prune manifest', join(dir, PRUNE_MANIFEST_FILE_NAME));
  });
  await fs.syncDir(dir);
  await onStep?.('done');
}

/** True when `path` is a segment whose header has the manifest entry's salt and whose size is the entry's. */
async function hasSalt(path: string, entry: ManifestEntry): Promise<boolean> {
  const baseSeq = parseSegmentFileName(entry.name);
  if (baseSeq === undefined) return false;
  try {
    const segment = await openSegment({ name: entry.name, baseSeq, path });
    await segment.handle.close().catch(() => {});
    return segment.header.salt.toString(16) === entry.salt && segment.size === entry.bytes;
  } catch {
    return false;
  }
}

async function indexSegment(dir: string, name: string, fs: LogFileSystem): Promise<void> {
  const baseSeq = parseSegmentFileName(name)!;
  const segment = await openSegment({ name, baseSeq, path: join(dir, name) });
  try {
    const summary = await summarizeSegment(segment);
    if (summary.stop) return; // verify reports it; an index is only ever written for a sound segment
    const entries: IndexEntry[] = summary.indexEntries;
    await writeSegmentIndex(dir, name, { salt: segment.header.salt, segmentBytes: summary.fileSize, records: summary.records, entries }, fs);
  } finally {
    await segment.handle.close().catch(() => {});
  }
}

function parseManifest(bytes: Uint8Array): PruneManifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Partial<PruneManifest>;
  if (m.format !== 1 || !Array.isArray(m.segments) || m.segments.length > LIMITS.pruneSegmentsMax) return undefined;
  const ok = m.segments.every(
    (e: Partial<ManifestEntry>) =>
      typeof e.name === 'string' && parseSegmentFileName(e.name) !== undefined && typeof e.salt === 'string' && /^[0-9a-f]{1,16}$/.test(e.salt) && Number.isSafeInteger(e.bytes) && Number.isSafeInteger(e.records),
  );
  return ok ? (m as PruneManifest) : undefined;
}

/** Whether a committed prune is waiting to be rolled forward (verify reports it; it is not damage). */
export async function pendingPrune(dir: string): Promise<{ segments: string[] } | undefined> {
  const bytes = await readFile(join(dir, PRUNE_MANIFEST_FILE_NAME)).catch(() => undefined);
  if (!bytes) return undefined;
  const manifest = parseManifest(bytes);
  return { segments: manifest ? manifest.segments.map((s) => s.name) : [] };
}

/**
 * Under the writer lock, before anything else touches the segments: rolls a committed prune forward (its manifest
 * is there), or removes the leftovers of one that never committed. A manifest that does not parse is refused:
 * something other than synclog wrote it, and guessing could drop a segment.
 */
export async function finishPrune(dir: string, fs: LogFileSystem): Promise<void> {
  const manifestPath = join(dir, PRUNE_MANIFEST_FILE_NAME);
  const bytes = await readFile(manifestPath).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw wrapIoError(error, 'read prune manifest', manifestPath);
  });
  if (bytes) {
    const manifest = parseManifest(bytes);
    if (!manifest) throw new CorruptionError(`${manifestPath} is not a prune manifest synclog wrote; nothing was changed`, { file: PRUNE_MANIFEST_FILE_NAME, offset: 0, reason: 'bad-prune-manifest' });
    await rollForward(dir, manifest, fs);
    return;
  }
  const names = await readdir(dir).catch(() => [] as string[]);
  const leftovers = names.filter(isPruneTempName);
  await Promise.all(leftovers.map((name) => rm(join(dir, name), { force: true }).catch(() => {})));
  if (leftovers.length > 0) await fs.syncDir(dir);
}
