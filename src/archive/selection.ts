// Which records an export carries: one version, one path's history (or a subtree's), the tree at a time or at a
// version, or everything. Reads only the store's catalog (metadata: no content is touched here).
// Invariant: the result is in log order (seq), holds each record once, and marks as `latest` exactly the records
// whose entry goes in the working tree of the archive (<root>/<path>), never two on one path, never one below a
// non-directory (those go beside the tree under .synclog-versions instead, so `tar xzf` never fails on them).
import { NotFoundError, UsageError } from '../errors.js';
import { tryParseTimeSpec, TIME_FORMS_HELP } from '../util/time-spec.js';
import { isVersionId, splitDisplayPath, type EntryRecord } from '../record/index.js';
import type { CatalogApi, StoredRecord } from '../store/index.js';
import type { ManifestSelection } from './manifest.js';

/** What to export. `at` takes a time (ms since the epoch) or a version id (the tree as of that version). */
export type ArchiveSelection = ManifestSelection;

export interface SelectedRecord {
  stored: StoredRecord<EntryRecord>;
  /** The version goes at <root>/<path> (the newest selected version of its path). */
  latest: boolean;
}

function byVersion(catalog: CatalogApi, id: string): StoredRecord<EntryRecord> {
  return catalog.resolveVersion(id);
}

/** Every entry of the paths at or below `display` (`root`, `root/dir` or `root/dir/file`). */
function subtree(catalog: CatalogApi, display: string): StoredRecord<EntryRecord>[] {
  const { root, path } = splitDisplayPath(display);
  if (root === '') throw new UsageError('--path needs a path like ROOT/dir/file', { path: display });
  const prefix = path === undefined ? `${root}/` : `${root}/${path}/`;
  const exact = path === undefined ? undefined : `${root}/${path}`;
  const out: StoredRecord<EntryRecord>[] = [];
  for (const view of catalog.paths()) {
    if (view.display === exact || view.display.startsWith(prefix)) out.push(...catalog.history(view.root, view.path));
  }
  if (out.length === 0) throw new NotFoundError(`no history for ${display} in the log`, { what: 'path', id: display });
  return out;
}

function everything(catalog: CatalogApi): StoredRecord<EntryRecord>[] {
  return catalog.paths().flatMap((view) => catalog.history(view.root, view.path));
}

/** Resolves a selection against the catalog: records in log order with their placement. */
export function selectRecords(catalog: CatalogApi, selection: ArchiveSelection): SelectedRecord[] {
  let records: StoredRecord<EntryRecord>[];
  switch (selection.kind) {
    case 'version': {
      const found = byVersion(catalog, selection.versionId);
      if (found.record.kind !== 'version') throw new NotFoundError(`${selection.versionId} is a delete, not a version`, { what: 'version', id: selection.versionId });
      records = [found];
      break;
    }
    case 'path':
      records = subtree(catalog, selection.path);
      break;
    case 'at': {
      if ((selection.timeMs === undefined) === (selection.versionId === undefined)) throw new UsageError('--at needs exactly one of a time or a version id');
      const at = selection.versionId !== undefined ? { atSeq: byVersion(catalog, selection.versionId).seq } : { timeMs: selection.timeMs! };
      records = [...catalog.treeAt(at).values()];
      break;
    }
    case 'all':
      records = everything(catalog);
      break;
  }
  records.sort((a, b) => a.seq - b.seq);
  return placeRecords(records);
}

/** Marks the newest version of each path as latest, unless it would sit below a latest non-directory. */
function placeRecords(records: StoredRecord<EntryRecord>[]): SelectedRecord[] {
  const newest = new Map<string, StoredRecord<EntryRecord>>();
  for (const stored of records) newest.set(`${stored.record.root}/${stored.record.path}`, stored);
  const nonDirs = new Set<string>();
  for (const [display, stored] of newest) if (stored.record.kind === 'version' && stored.record.type !== 'dir') nonDirs.add(display);
  const belowNonDir = (display: string): boolean => {
    for (let at = display.indexOf('/', display.indexOf('/') + 1); at >= 0; at = display.indexOf('/', at + 1)) {
      if (nonDirs.has(display.slice(0, at))) return true;
    }
    return false;
  };
  return records.map((stored) => {
    const display = `${stored.record.root}/${stored.record.path}`;
    const latest = stored.record.kind === 'version' && newest.get(display) === stored && !belowNonDir(display);
    return { stored, latest };
  });
}

/**
 * Parses the CLI's --at value: a version id (20 hex digits, or a prefix of 6+ with a letter in it, since all-digit
 * values are times), ms since the epoch, or a date/time Date.parse accepts.
 */
export function parseAt(value: string): ArchiveSelection {
  if (isVersionId(value) || /^(?=.*[a-f])[0-9a-f]{6,20}$/.test(value)) return { kind: 'at', versionId: value };
  const timeMs = /^\d+$/.test(value) ? Number(value) : tryParseTimeSpec(value);
  if (timeMs === undefined) throw new UsageError(`--at ${JSON.stringify(value)} is neither a version id nor a time (${TIME_FORMS_HELP})`, { at: value });
  return { kind: 'at', timeMs };
}
