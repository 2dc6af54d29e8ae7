// History and restore, read through the store only: the same code serves a running watcher and the `history`,
// `log` and `restore` commands (which open the log read-only beside a running watcher).
// Never writes to the log or the disk: restore is the receiver's restore service (src/receiver/restore.ts).
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { NotFoundError } from '../errors.js';
import { contentIdHex, splitDisplayPath, type EntryRecord, type EntryType } from '../record/index.js';
import type { CatalogApi, StoreApi, StoredRecord } from '../store/types.js';
import { isValidLogPath } from '../util/log-path.js';

export type HistoryEvent = 'created' | 'modified' | 'renamed' | 'restored' | 'imported' | 'deleted';

export interface HistoryEntry {
  versionId: string;
  /** `${root}/${path}` */
  path: string;
  event: HistoryEvent;
  type: EntryType;
  size: number;
  /** The file's mtime (ms since the epoch); undefined for a deletion. */
  mtime: number | undefined;
  /** When synclog recorded it (ms since the epoch). */
  timestamp: number;
  contentId: string | undefined;
  owner: { uid: number; gid: number; name: string | undefined } | undefined;
  mode: number | undefined;
  target?: string;
  renamedFrom?: string;
  renamedTo?: string;
  seq: number;
  /** For a pushed version or delete: when the server took it, by its clock (what its retention judges by). */
  receivedMs?: number;
  /**
   * A forget record named it: still readable and restorable, gone at the next prune (set by fileHistory; `history`
   * shows it marked rather than hiding it, so what it lists is exactly what can still be restored).
   */
  forgotten?: boolean;
}

/** Turns a stored version or tombstone into its history entry. */
export function historyEntryOf(stored: StoredRecord<EntryRecord>): HistoryEntry {
  const r = stored.record;
  const path = `${r.root}/${r.path}`;
  const received = r.origin?.receivedMs !== undefined ? { receivedMs: r.origin.receivedMs } : {};
  if (r.kind === 'delete') {
    return {
      versionId: r.versionId, path, event: 'deleted', type: r.type, size: 0, mtime: undefined, timestamp: r.time,
      contentId: undefined, owner: undefined, mode: undefined, seq: stored.seq, ...received,
      ...(r.renamedTo !== undefined ? { renamedTo: `${r.root}/${r.renamedTo}` } : {}),
    };
  }
  return {
    versionId: r.versionId, path, event: r.event, type: r.type, size: r.size, mtime: r.mtimeMs, timestamp: r.time,
    contentId: r.contentId ? contentIdHex(r.contentId) : undefined,
    owner: { uid: r.uid, gid: r.gid, name: r.owner }, mode: r.mode, seq: stored.seq, ...received,
    ...(r.target !== undefined ? { target: r.target } : {}),
    ...(r.renamedFrom !== undefined ? { renamedFrom: `${r.root}/${r.renamedFrom}` } : {}),
  };
}

/**
 * Resolves what a user typed to (root, path): a display path `root/rel`, a path relative to the only root when
 * there is one, or (given `rootPaths`: absolute root directory → name) a file-system path inside a watched root.
 */
export function resolveUserPath(
  catalog: Pick<CatalogApi, 'roots'>,
  input: string,
  rootPaths: ReadonlyMap<string, string> = new Map(),
): { root: string; path: string } {
  const roots = catalog.roots();
  const clean = input.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const split = splitDisplayPath(clean);
  if (split.path !== undefined && roots.includes(split.root) && isValidLogPath(split.path)) return { root: split.root, path: split.path };
  const absolute = resolve(input);
  for (const [rootPath, name] of rootPaths) {
    const rel = relative(rootPath, absolute);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) {
      const path = sep === '/' ? rel : rel.split(sep).join('/');
      if (isValidLogPath(path)) return { root: name, path };
    }
  }
  if (roots.length === 1 && isValidLogPath(clean)) return { root: roots[0]!, path: clean };
  throw new NotFoundError(`no history for ${input}: give it as root/path (roots: ${roots.join(', ') || 'none'})`, { what: 'path', id: input });
}

/** Versions and tombstones of one path, oldest first. Throws NotFoundError when the log has never seen it. */
export async function fileHistory(store: StoreApi, input: string, rootPaths?: ReadonlyMap<string, string>): Promise<HistoryEntry[]> {
  const catalog = await store.catalog();
  const { root, path } = resolveUserPath(catalog, input, rootPaths);
  const history = catalog.history(root, path);
  if (history.length === 0) throw new NotFoundError(`no history for ${root}/${path}`, { what: 'path', id: `${root}/${path}` });
  return history.map((stored) => ({ ...historyEntryOf(stored), forgotten: catalog.isForgotten(stored.record.versionId) }));
}
