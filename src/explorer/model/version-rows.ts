// The versions list of one path: newest first, with the columns the issue asks for (id, time, event, size, who),
// and the choice of which two versions a diff compares. Pure.
import { displayName } from '../../util/display-name.js';
import { formatBytes, formatTime } from './format.js';
import type { EntryItem, VersionItem } from './types.js';

/** History (oldest first, as the catalog gives it) → newest first, as the list shows it. */
export function newestFirst(history: readonly EntryItem[]): EntryItem[] {
  return [...history].reverse();
}

export function isFileVersion(item: EntryItem | undefined): item is VersionItem {
  return item !== undefined && item.record.kind === 'version' && item.record.type === 'file';
}

export function isVersion(item: EntryItem | undefined): item is VersionItem {
  return item !== undefined && item.record.kind === 'version';
}

export interface VersionColumns {
  id: string;
  time: string;
  event: string;
  size: string;
  who: string;
}

/** The cells of one versions-list row. */
export function versionColumns(item: EntryItem): VersionColumns {
  const r = item.record;
  const base = { id: r.versionId, time: formatTime(r.time) };
  if (r.kind === 'delete') return { ...base, event: r.renamedTo ? 'renamed→' : 'deleted', size: '', who: r.renamedTo ? `→ ${displayName(r.renamedTo)}` : '' };
  const size = r.type === 'file' ? formatBytes(r.size) : r.type === 'dir' ? 'dir' : 'link';
  const who = r.owner !== undefined ? displayName(r.owner) : r.uid >= 0 ? `uid ${r.uid}` : '';
  return { ...base, event: r.event, size, who };
}

/** In a newest-first list, the next older file version below `index` (what "diff with previous" compares). */
export function previousFileVersionIndex(items: readonly EntryItem[], index: number): number {
  for (let i = index + 1; i < items.length; i++) if (isFileVersion(items[i])) return i;
  return -1;
}

/**
 * Which versions a diff compares, older first: the two marked ones; or one mark and the cursor; or the cursor and
 * the file version before it. A string says why there is nothing to diff.
 */
export function diffPair(items: readonly EntryItem[], cursor: number, marks: readonly string[]): [VersionItem, VersionItem] | string {
  const byId = (id: string) => items.find((item) => item.record.versionId === id);
  let picked: (EntryItem | undefined)[];
  if (marks.length >= 2) picked = [byId(marks[0]!), byId(marks[1]!)];
  else if (marks.length === 1 && items[cursor]?.record.versionId !== marks[0]) picked = [byId(marks[0]!), items[cursor]];
  else {
    const current = items[cursor];
    if (!isFileVersion(current)) return 'Pick a file version to diff.';
    const previous = previousFileVersionIndex(items, cursor);
    if (previous < 0) return 'This is the first version of the file: nothing older to diff against (mark two with space).';
    picked = [items[previous], current];
  }
  const [a, b] = picked;
  if (!isFileVersion(a) || !isFileVersion(b)) return 'Only file versions can be diffed.';
  return a.seq <= b.seq ? [a, b] : [b, a];
}
