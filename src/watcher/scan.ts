// The initial scan (and `synclog snapshot`): walk a root, and hand the pipeline every path that may differ from the
// log's newest state — new, changed, or (from the log's live tree) vanished. It only decides what to *look at*: the
// pipeline's reconcile makes the decision, so a scan racing with live events cannot record anything wrong.
// Invariant: an unchanged file whose stat facts match the stat cache is never read (an unchanged tree costs one
// lstat per entry and no content reads).
import { lstatSync, readlinkSync, type Dirent, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryRecord, VersionRecord } from '../record/index.js';
import type { StatCacheApi, StoredRecord } from '../store/types.js';
import { wrapIoError } from '../errors.js';
import { entryTypeOf, sameBytes, statKeyOf, type ReconcileRoot } from './reconcile.js';

/** lstat calls in flight while walking one directory. */
const SCAN_LSTAT_CONCURRENCY = 64;

export interface ScanDeps {
  /** lstat and readlink as synchronous calls (see ReconcileContext.syncFileCalls): a walk then costs ~15% less. */
  syncFileCalls: boolean;
  latest(root: string, path: string): StoredRecord<EntryRecord> | undefined;
  statCache: Pick<StatCacheApi, 'contentIdOf'>;
  /** Paths the log has live in this root (to find what vanished while nobody watched). */
  livePaths(root: string): Iterable<string>;
  changed(path: string): void;
  inode(path: string, ino: number): void;
  progress(entriesSeen: number, entriesChanged: number): void;
  error(error: Error): void;
}

/**
 * Decides from stat facts alone (plus a symlink's target) whether an entry may differ from the log's newest record.
 * Pure. `undefined` cached means the stat cache had no exact match.
 */
export function mayDiffer(
  live: VersionRecord | undefined,
  stat: Pick<Stats, 'mode'>,
  type: 'file' | 'dir' | 'symlink',
  cachedContentId: Uint8Array | undefined,
  target?: string,
): boolean {
  if (!live || live.type !== type) return true;
  if (live.mode !== (stat.mode & 0o7777)) return true;
  if (type === 'dir') return false;
  if (type === 'symlink') return live.target !== target;
  return !sameBytes(live.contentId, cachedContentId);
}

async function lstatOrUndefined(path: string, sync: boolean): Promise<Stats | undefined> {
  try {
    return sync ? lstatSync(path, { throwIfNoEntry: false }) : await lstat(path);
  } catch {
    return undefined; // vanished since readdir: live events (or the next scan) cover it
  }
}

async function readlinkOrUndefined(path: string, sync: boolean): Promise<string | undefined> {
  try {
    return sync ? readlinkSync(path) : await readlink(path);
  } catch {
    return undefined;
  }
}

/** Walks `root` and reports every path that may need recording. Resolves with the counts. */
export async function scanRoot(root: ReconcileRoot, deps: ScanDeps): Promise<{ entriesSeen: number; entriesChanged: number }> {
  const seen = new Set<string>();
  // Paths that may differ are handed over only after the walk, vanished ones first: a file moved while nobody
  // watched must meet its old path's tombstone in the pipeline (rename pairing), not be committed as "created"
  // before the walk has even found that the old path is gone.
  const differing: string[] = [];
  let entriesChanged = 0;
  const changed = (path: string) => {
    entriesChanged += 1;
    differing.push(path);
  };
  const dirs: string[] = [''];
  while (dirs.length > 0) {
    const dirRel = dirs.pop()!;
    const dirAbs = dirRel === '' ? root.path : join(root.path, ...dirRel.split('/'));
    let names: Dirent[];
    try {
      names = await readdir(dirAbs, { withFileTypes: true });
    } catch (error) {
      if (dirRel === '' || (error as NodeJS.ErrnoException).code !== 'ENOENT') deps.error(wrapIoError(error, 'read directory', dirAbs));
      continue;
    }
    for (let i = 0; i < names.length; i += SCAN_LSTAT_CONCURRENCY) {
      const slice = names.slice(i, i + SCAN_LSTAT_CONCURRENCY);
      await Promise.all(
        slice.map(async (dirent) => {
          const rel = dirRel === '' ? dirent.name : `${dirRel}/${dirent.name}`;
          if (root.matcher.excludesRelative(rel, dirent.isDirectory())) return;
          const stat = await lstatOrUndefined(join(dirAbs, dirent.name), deps.syncFileCalls);
          const type = stat ? entryTypeOf(stat) : undefined;
          // A name that is not valid UTF-8 comes with U+FFFD and cannot be stat'ed by it: hand it on, so the
          // pipeline says it cannot be recorded instead of the scan passing over it in silence.
          if (!stat && dirent.name.includes('\uFFFD')) changed(rel);
          if (!stat || !type) return;
          seen.add(rel);
          deps.inode(rel, stat.ino);
          if (type === 'dir') dirs.push(rel);
          const latest = deps.latest(root.name, rel)?.record;
          const live = latest?.kind === 'version' ? latest : undefined;
          const target = type === 'symlink' ? await readlinkOrUndefined(join(dirAbs, dirent.name), deps.syncFileCalls) : undefined;
          const cached = type === 'file' ? deps.statCache.contentIdOf(root.name, rel, statKeyOf(stat)) : undefined;
          if (mayDiffer(live, stat, type, cached, target)) changed(rel);
        }),
      );
      deps.progress(seen.size, entriesChanged);
    }
  }
  for (const path of deps.livePaths(root.name)) {
    if (!seen.has(path) && !root.matcher.excludesRelative(path)) {
      entriesChanged += 1;
      deps.changed(path);
    }
  }
  for (const path of differing) deps.changed(path);
  deps.progress(seen.size, entriesChanged);
  return { entriesSeen: seen.size, entriesChanged };
}
