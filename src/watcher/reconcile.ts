// Reconciling one path: compare what is on disk now with the newest record the log has for it, and say what (if
// anything) must be recorded. State-based, not event-based: events only say *which* paths to look at, so lost,
// duplicated or reordered events cannot make the log wrong — the next look at a path always converges.
// Never appends: it may append chunks through store.ingestFile, but the version record is the caller's commit.
// Invariant: a 'present' file outcome carries content read in one stable pass (ingestFile throws if the file changed
// while it was read) or taken from the stat cache only when every stat fact matches and its chunks are in the log.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { LimitError, wrapIoError } from '../errors.js';
import { WATCH_LIMITS } from '../util/limits.js';
import type { ChunkRef, ContentIdBytes, EntryType, VersionRecord } from '../record/index.js';
import type { CatalogApi, StatKey, StoreApi } from '../store/types.js';
import type { ByteBudget } from './byte-budget.js';
import type { ExcludeMatcher } from './excludes.js';

export interface ReconcileRoot {
  name: string;
  path: string;
  matcher: ExcludeMatcher;
}

export interface ReconcileContext {
  store: Pick<StoreApi, 'ingestFile' | 'hasChunk' | 'statCache'>;
  /**
   * Stat and small-file reads as synchronous calls on this thread (a few µs on a local filesystem, cheaper than a
   * thread-pool round trip); false under --poll, meant for network mounts, where one call can take milliseconds.
   */
  syncFileCalls: boolean;
  catalog: Pick<CatalogApi, 'latest'>;
  /** Sync: stamp every record with `basedOn`, the version id `catalog.latest` names for its path. */
  stampBasedOn?: boolean;
  counters: { filesRead: number; bytesIngested: number };
  /** Bounds the file bytes read at once across concurrent reconciles. */
  budget: ByteBudget;
}

/** What is on disk at a path, ready to become a version record. */
export interface PresentEntry {
  type: EntryType;
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  contentId?: ContentIdBytes;
  chunks?: ChunkRef[];
  target?: string;
  /** Files: the stat facts the content was read under (for the stat cache). */
  statKey?: StatKey;
  /** Bytes read from disk to learn the content (0 when the stat cache knew it). */
  bytesRead: number;
}

export type Outcome =
  | { kind: 'unchanged' }
  | { kind: 'duplicate'; statKey: StatKey; content: { contentId: ContentIdBytes; chunks: ChunkRef[]; size: number } }
  | { kind: 'present'; entry: PresentEntry; live: VersionRecord | undefined }
  | { kind: 'gone'; live: VersionRecord }
  | { kind: 'retry'; error: unknown }
  | { kind: 'failed'; error: unknown };

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

/**
 * `rel` below the root's directory. `rel` is a log path (every key is validated as it enters the pipeline: no '',
 * '.' or '..' component) and the root's path is resolved, so plain concatenation is what path.join gave, without
 * normalising again (~30 ms of a quick bench corpus snapshot's main thread, three calls per file).
 */
export function absolutePathOf(root: { path: string }, rel: string): string {
  if (sep !== '/') return join(root.path, ...rel.split('/'));
  return root.path.endsWith('/') ? root.path + rel : `${root.path}/${rel}`;
}

export function entryTypeOf(stat: Stats): EntryType | undefined {
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isDirectory()) return 'dir';
  if (stat.isFile()) return 'file';
  return undefined; // sockets, FIFOs, devices: not content synclog records
}

export function statKeyOf(stat: Stats): StatKey {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino };
}

function isGoneError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code ?? (error as { details?: { errno?: string } })?.details?.errno;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isPermanentError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code ?? (error as { details?: { errno?: string } })?.details?.errno;
  return code === 'EACCES' || code === 'EPERM' || code === 'EISDIR' || error instanceof LimitError;
}

/**
 * lstat, on this thread when `sync`: a few µs for a path whose dentry the kernel just handled (the event that
 * brought us here), where fs/promises costs a thread-pool round trip that took the watcher's main thread longer than
 * the call (measured with a burst of 5,000 new files: docs/watcher.md "Measured").
 */
export async function lstatOrGone(abs: string, sync: boolean): Promise<Stats | undefined> {
  try {
    return sync ? lstatSync(abs, { throwIfNoEntry: false }) : await lstat(abs);
  } catch (error) {
    if (isGoneError(error)) return undefined;
    throw wrapIoError(error, 'lstat', abs);
  }
}

/** Looks at one path and decides. Never throws for OS failures: they come back as 'retry' or 'failed'. */
export async function reconcilePath(ctx: ReconcileContext, root: ReconcileRoot, rel: string): Promise<Outcome> {
  const latest = ctx.catalog.latest(root.name, rel)?.record;
  const live = latest?.kind === 'version' ? latest : undefined;
  const abs = absolutePathOf(root, rel);
  try {
    const stat = await lstatOrGone(abs, ctx.syncFileCalls);
    const type = stat ? entryTypeOf(stat) : undefined;
    if (!stat || type === undefined || root.matcher.excludesRelative(rel, type === 'dir')) {
      // Gone (or no longer something we record): a tombstone if the log still has it live — unless it is excluded,
      // where the log's copy stays as it was (excluding a path is not deleting it).
      const excluded = root.matcher.excludesRelative(rel, type === 'dir');
      return live && !excluded && !stat ? { kind: 'gone', live } : { kind: 'unchanged' };
    }
    const base = { type, size: 0, mtimeMs: stat.mtimeMs, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, ino: stat.ino, bytesRead: 0 };
    if (type === 'dir') {
      return live?.type === 'dir' && live.mode === base.mode ? { kind: 'unchanged' } : { kind: 'present', entry: base, live };
    }
    if (type === 'symlink') {
      const target = ctx.syncFileCalls ? readlinkSync(abs) : await readlink(abs);
      if (live?.type === 'symlink' && live.target === target) return { kind: 'unchanged' };
      return { kind: 'present', entry: { ...base, size: Buffer.byteLength(target), target }, live };
    }
    return await reconcileFile(ctx, root, rel, abs, stat, base, live);
  } catch (error) {
    if (isGoneError(error)) return live ? { kind: 'gone', live } : { kind: 'unchanged' };
    return isPermanentError(error) ? { kind: 'failed', error } : { kind: 'retry', error };
  }
}

async function reconcileFile(
  ctx: ReconcileContext,
  root: ReconcileRoot,
  rel: string,
  abs: string,
  stat: Stats,
  base: PresentEntry,
  live: VersionRecord | undefined,
): Promise<Outcome> {
  // Truncate-then-write leaves a moment of emptiness that is not the content the user saved: wait it out (bounded
  // by WATCH_LIMITS.emptyFileSettleMs; a clock that puts mtime in the future does not hold the file back).
  const emptyForMs = Date.now() - stat.mtimeMs;
  if (stat.size === 0 && emptyForMs >= 0 && emptyForMs < WATCH_LIMITS.emptyFileSettleMs) {
    return { kind: 'retry', error: new Error(`${rel} is empty and was modified ${Math.round(emptyForMs)} ms ago; looking again`) };
  }
  const mode = stat.mode & 0o7777;
  const sameAsLive = (id: ContentIdBytes) => live?.type === 'file' && sameBytes(live.contentId, id) && live.mode === mode;
  let statKey = statKeyOf(stat);
  let content = ctx.store.statCache.get(root.name, rel, statKey);
  if (content && sameAsLive(content.contentId)) return { kind: 'unchanged' };
  let bytesRead = 0;
  // A cached content is reused only when its chunks really are in this log (the cache is derived data).
  if (!content || !content.chunks.every((c) => ctx.store.hasChunk(c.id))) {
    const held = await ctx.budget.acquire(stat.size);
    let ingested;
    try {
      ingested = await ctx.store.ingestFile(abs, ctx.syncFileCalls ? { sizeHint: stat.size } : {});
    } finally {
      ctx.budget.release(held);
    }
    ctx.counters.filesRead += 1;
    ctx.counters.bytesIngested += ingested.size;
    bytesRead = ingested.size;
    content = { contentId: ingested.contentId, chunks: ingested.chunks, size: ingested.size };
    statKey = ingested.stat;
  }
  if (sameAsLive(content.contentId)) return { kind: 'duplicate', statKey, content };
  return {
    kind: 'present',
    entry: { ...base, size: content.size, mtimeMs: statKey.mtimeMs, contentId: content.contentId, chunks: content.chunks, statKey, bytesRead },
    live,
  };
}
