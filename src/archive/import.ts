// importArchive: a synclog archive (manifest first) or a plain tar/tar.gz, into a store, all or nothing.
// Pass 1 streams the archive and checks everything (gate, bomb limits, manifest against content) without writing;
// pass 2 streams it again into store.appendAtomic, re-checking as it goes (docs/archive.md "Import").
// Never: makes anything visible before the whole archive checked out; on any failure the log is exactly as it was
// (appendAtomic keeps nothing of a failed group).
// Invariant: version ids from a synclog archive are kept; a version already in the log is skipped, so importing an
// archive twice adds nothing the second time.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ArchiveError, UsageError, wrapIoError } from '../errors.js';
import type { EntryRecord } from '../record/index.js';
import type { StoreApi } from '../store/index.js';
import { isValidLogPath } from '../util/log-path.js';
import { LIMITS } from '../util/limits.js';
import { refuseEntry } from './archive-entry-path.js';
import { readArchive, readSmallBody, type ArchiveItem, type ArchiveLimits } from './archive-reader.js';
import { walkPlain } from './import-plain.js';
import { newCounters, walkSynclog, type WalkCounters } from './import-synclog.js';
import { MANIFEST_ENTRY } from './layout.js';
import { parseManifest, type ManifestItem } from './manifest.js';

export interface ImportOptions extends ArchiveLimits {
  /** Plain tarballs: the root to import into. Default: the archive's base name without .tar/.tar.gz/.tgz. */
  root?: string;
  /** Accept symlinks whose target leaves the archive root (stored as data; synclog never follows them). */
  allowEscapingSymlinks?: boolean;
  /** Archive bytes read over both passes, and their total (twice the file size). */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface ImportResult extends WalkCounters {
  file: string;
  kind: 'synclog' | 'plain';
  /** The root a plain tarball went into. */
  root?: string;
  /** Records appended (chunks, versions, deletes). */
  records: number;
}

/** The default root for a plain tarball: `photos-2024.tar.gz` → `photos-2024`. */
export function defaultRootName(file: string): string {
  return basename(file).replace(/(\.tar\.gz|\.tgz|\.tar|\.gz)$/i, '');
}

function checkRoot(root: string): string {
  if (!isValidLogPath(root) || root.includes('/')) throw new UsageError(`root ${JSON.stringify(root)} is not a valid root name (one path component)`, { root });
  return root;
}

interface Pass {
  kind: 'synclog' | 'plain';
  items?: ManifestItem[];
  /** The manifest's bytes, to tell that pass 2 reads the manifest pass 1 checked. */
  manifestBytes?: Uint8Array;
  /** The entries after the manifest (synclog) or all of them (plain). */
  entries: AsyncIterable<ArchiveItem>;
}

/** Opens one pass over the archive and tells a synclog archive (manifest first) from a plain one. */
async function openPass(file: string, options: ImportOptions, onPacked: (n: number) => void): Promise<Pass> {
  const reader = readArchive(file, { ...options, onPackedBytes: onPacked });
  const first = await reader.next();
  if (first.done) return { kind: 'plain', entries: (async function* () {})() };
  const { entry, body } = first.value;
  if (entry.path === MANIFEST_ENTRY && entry.type === 'file') {
    try {
      const bytes = await readSmallBody(file, entry, body, LIMITS.archiveManifestBytesMax);
      return { kind: 'synclog', items: parseManifest(bytes, file).items, manifestBytes: bytes, entries: { [Symbol.asyncIterator]: () => reader } };
    } catch (error) {
      await reader.return(undefined); // closes the file
      throw error;
    }
  }
  // A plain tarball: put the first entry back in front of the rest.
  return {
    kind: 'plain',
    entries: (async function* () {
      yield first.value;
      yield* { [Symbol.asyncIterator]: () => reader };
    })(),
  };
}

/** The facts that make two records with one version id the same version. */
function sameVersion(a: EntryRecord, b: EntryRecord): boolean {
  const content = (r: EntryRecord) => (r.kind === 'version' && r.contentId ? Buffer.from(r.contentId).toString('hex') : '');
  return a.kind === b.kind && a.root === b.root && a.path === b.path && a.type === b.type && a.time === b.time && content(a) === content(b);
}

/** Version ids of the manifest already in the log (skipped); an id the log uses for another record is refused. */
async function presentIds(store: StoreApi, file: string, items: ManifestItem[]): Promise<Set<string>> {
  const catalog = await store.catalog();
  await catalog.refresh();
  const present = new Set<string>();
  for (const { record, entry } of items) {
    const found = catalog.findVersion(record.versionId);
    if (found?.record.versionId !== record.versionId) continue;
    if (!sameVersion(found.record, record)) {
      refuseEntry(file, entry ?? MANIFEST_ENTRY, 'version-id-conflict', `version id ${record.versionId} names another record in the log (${found.record.root}/${found.record.path})`);
    }
    present.add(record.versionId);
  }
  return present;
}

async function drain(records: AsyncIterable<unknown>): Promise<void> {
  for await (const _record of records) {
    // 'check' mode yields nothing: the walk itself is the check.
  }
}

/**
 * Imports `file` into `store` (a writer). Resolves once everything is durable; on any failure (hostile or broken
 * archive: ArchiveError; the log: its error) nothing was appended.
 */
export async function importArchive(store: StoreApi, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  if (store.readOnly) throw new UsageError('importArchive needs a store opened for writing');
  const size = await stat(file).then((s) => s.size, (error: unknown) => { throw wrapIoError(error, 'stat archive', file); });
  const total = size * 2;
  options.onProgress?.(0, total);
  // Pass 1: everything checked, nothing written.
  const first = await openPass(file, options, (n) => options.onProgress?.(n, total));
  const counters = newCounters();
  let present = new Set<string>();
  // Plain tarballs: the files hard links point at, whose content pass 2 must remember (and only those).
  const linkTargets = new Set<string>();
  if (first.kind === 'synclog') {
    present = await presentIds(store, file, first.items!);
    await drain(walkSynclog({ archive: file, store, items: first.items!, present, mode: 'check', counters }, first.entries));
  } else {
    checkRoot(options.root ?? defaultRootName(file));
    for await (const { entry } of first.entries) if (entry.type === 'hardlink') linkTargets.add(entry.target!);
  }

  // Pass 2: the same walk again, feeding one atomic append.
  const second = await openPass(file, options, (n) => options.onProgress?.(size + n, total));
  const result = newCounters();
  const root = options.root ?? defaultRootName(file);
  let stored;
  if (first.kind === 'synclog' && second.kind === 'synclog' && Buffer.compare(first.manifestBytes!, second.manifestBytes!) === 0) {
    stored = await store.appendAtomic(walkSynclog({ archive: file, store, items: second.items!, present, mode: 'commit', counters: result }, second.entries));
  } else if (first.kind === 'plain' && second.kind === 'plain') {
    const catalog = await store.catalog();
    await catalog.refresh();
    stored = await store.appendAtomic(walkPlain({ archive: file, store, catalog, root, timeMs: Date.now(), counters: result, linkTargets }, second.entries));
  } else {
    await second.entries[Symbol.asyncIterator]().return?.(undefined);
    throw new ArchiveError(`archive ${file} changed while it was imported`, { archive: file, reason: 'changed' });
  }
  options.onProgress?.(total, total);
  return { file, kind: first.kind, ...(first.kind === 'plain' ? { root } : {}), ...result, records: stored.length };
}
