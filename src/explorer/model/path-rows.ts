// Rows of the path list (flat or tree) from the catalog's paths, filtered by text. Pure functions over arrays,
// memoised on their inputs by identity, so a 100,000-path catalog is sorted once per refresh, filtered once per
// keystroke (narrowing reuses the previous result) and only the visible slice is ever rendered.
import { memoizeLast } from './memo.js';
import type { CatalogPath } from './types.js';

export type PathLayout = 'flat' | 'tree';

/** A catalog path (flat list, or a leaf of the tree). */
export interface EntryRow {
  kind: 'entry';
  /** Unique among rows: the display path (with a NUL after it when the same path is also a folder row). */
  key: string;
  depth: number;
  /** What the row shows: the display path (flat) or the last component (tree). */
  label: string;
  entry: CatalogPath;
}

/** A folder of the tree: a display-path prefix with paths below it (and its own versions when it was recorded). */
export interface FolderRow {
  kind: 'folder';
  key: string;
  depth: number;
  label: string;
  collapsed: boolean;
  /** Paths below this folder (after filtering). */
  pathCount: number;
  /** Versions and tombstones of those paths. */
  versionCount: number;
  entry: CatalogPath | undefined;
}

export type PathRow = EntryRow | FolderRow;

/** Smart case: a filter with an upper-case letter matches case-sensitively, otherwise case-insensitively. */
export function filterIsCaseSensitive(text: string): boolean {
  return text !== text.toLowerCase();
}

const lowerDisplays = memoizeLast((paths: readonly CatalogPath[]): string[] => paths.map((p) => p.display.toLowerCase()));

/**
 * Paths whose display path contains `text` (order kept). Returns `paths` itself when every path matches (and for an
 * empty text), so that selectors memoised on it do not recompute.
 */
export function filterPaths(paths: readonly CatalogPath[], text: string): readonly CatalogPath[] {
  if (text.length === 0) return paths;
  const out: CatalogPath[] = [];
  if (filterIsCaseSensitive(text)) {
    for (const p of paths) if (p.display.includes(text)) out.push(p);
  } else {
    const needle = text.toLowerCase();
    const lower = lowerDisplays(paths);
    for (let i = 0; i < paths.length; i++) if (lower[i]!.includes(needle)) out.push(paths[i]!);
  }
  return out.length === paths.length ? paths : out;
}

/**
 * filterPaths with narrowing: when the new text extends the previous one (typing), only the previous matches are
 * searched. Same results as filterPaths, always.
 */
export function createPathFilter(): (paths: readonly CatalogPath[], text: string) => readonly CatalogPath[] {
  let lastPaths: readonly CatalogPath[] | undefined;
  let lastText = '';
  let lastResult: readonly CatalogPath[] = [];
  return (paths, text) => {
    if (paths === lastPaths && text === lastText) return lastResult;
    const narrowing =
      paths === lastPaths && lastText.length > 0 && text.startsWith(lastText) && filterIsCaseSensitive(text) === filterIsCaseSensitive(lastText);
    lastResult = filterPaths(narrowing ? lastResult : paths, text);
    lastPaths = paths;
    lastText = text;
    return lastResult;
  };
}

/** Display-path order with '/' below every other character, so each path comes right after its parent. */
export function compareTreeOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) x = -1;
    if (y === 0x2f) y = -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The paths in tree order (parents immediately followed by their children); the input itself if already so. */
export const treeOrder = memoizeLast((paths: readonly CatalogPath[]): readonly CatalogPath[] => {
  let ordered = true;
  for (let i = 1; i < paths.length && ordered; i++) ordered = compareTreeOrder(paths[i - 1]!.display, paths[i]!.display) <= 0;
  if (ordered) return paths;
  // An allocation-free comparator: sorting 100,000 paths this way is several times faster than keyed sorting.
  return [...paths].sort((a, b) => compareTreeOrder(a.display, b.display));
});

function flatRows(paths: readonly CatalogPath[]): PathRow[] {
  return paths.map((entry) => ({ kind: 'entry', key: entry.display, depth: 0, label: entry.display, entry }));
}

/**
 * Key suffix of an entry row whose path is also a folder row (it was a folder once and is a file or deleted now):
 * NUL never occurs in a log path, so the key stays unique, sorts right after the path and never matches `key/…`.
 */
const BESIDE_FOLDER_KEY_SUFFIX = '\u0000';

function isDirectoryNow(entry: CatalogPath): boolean {
  const latest = entry.latest.record;
  return latest.kind === 'version' && latest.type === 'dir';
}

/** True when `display` lies below the folder `key` (`key/…`). */
function isBelow(display: string, key: string): boolean {
  return display.length > key.length && display.charCodeAt(key.length) === 0x2f && display.startsWith(key);
}

/**
 * Tree rows for paths already in tree order, every folder expanded. Linear in the number of paths; a path's
 * components are sliced only where it leaves its predecessor's folders (no split/join per path).
 */
export function buildTreeRows(ordered: readonly CatalogPath[]): PathRow[] {
  const rows: PathRow[] = [];
  const open: FolderRow[] = [];
  for (const entry of ordered) {
    const display = entry.display;
    while (open.length > 0 && !isBelow(display, open[open.length - 1]!.key)) open.pop();
    let start = open.length > 0 ? open[open.length - 1]!.key.length + 1 : 0;
    for (let slash = display.indexOf('/', start); slash >= 0; slash = display.indexOf('/', start)) {
      const key = display.slice(0, slash);
      const previous = rows[rows.length - 1];
      // A recorded directory comes right before its children (tree order): it becomes the folder itself. Its
      // ancestors already counted it as a path below them, which it stays.
      const recorded = previous?.kind === 'entry' && previous.key === key ? previous : undefined;
      // Only a path that is a directory now becomes its folder row. One that is a file (or deleted) now but had
      // children (file → folder → file) keeps its own row too, so its file versions stay reachable beside the folder.
      const own = recorded && isDirectoryNow(recorded.entry) ? recorded.entry : undefined;
      if (own) rows.pop();
      else if (recorded) recorded.key = `${key}${BESIDE_FOLDER_KEY_SUFFIX}`;
      const folder: FolderRow = { kind: 'folder', key, depth: open.length, label: display.slice(start, slash), collapsed: false, pathCount: 0, versionCount: 0, entry: own };
      rows.push(folder);
      open.push(folder);
      start = slash + 1;
    }
    for (const folder of open) {
      folder.pathCount++;
      folder.versionCount += entry.count;
    }
    rows.push({ kind: 'entry', key: display, depth: open.length, label: display.slice(start), entry });
  }
  return rows;
}

/** Where each path sits in the full tree and each row's parent row: built once per catalog change. */
interface TreeIndex {
  indexOf: Map<CatalogPath, number>;
  parent: Int32Array;
}

const treeIndexOf = memoizeLast((full: readonly PathRow[]): TreeIndex => {
  const indexOf = new Map<CatalogPath, number>();
  const parent = new Int32Array(full.length);
  const open: number[] = [];
  full.forEach((row, index) => {
    open.length = Math.min(open.length, row.depth);
    parent[index] = open.length > 0 ? open[open.length - 1]! : -1;
    if (row.entry) indexOf.set(row.entry, index);
    if (row.kind === 'folder') open.push(index);
  });
  return { indexOf, parent };
});

const folderCopy = (row: PathRow): FolderRow => ({ ...(row as FolderRow), collapsed: false, pathCount: 0, versionCount: 0 });

/**
 * The tree rows of the matching paths: each match with its folders (copied, counting only the matches below them;
 * a recorded directory that matches is counted by its ancestors). Work is proportional to the matches and their
 * depth, not to the catalog, so narrowing a filter over 100,000 paths stays cheap.
 */
export function filterTreeRows(full: readonly PathRow[], matched: readonly CatalogPath[]): PathRow[] {
  const { indexOf, parent } = treeIndexOf(full);
  const copies = new Map<number, FolderRow>();
  const included: number[] = [];
  const folderAt = (index: number): FolderRow => {
    let copy = copies.get(index);
    if (!copy) {
      copy = folderCopy(full[index]!);
      copies.set(index, copy);
      included.push(index);
    }
    return copy;
  };
  for (const entry of matched) {
    const index = indexOf.get(entry);
    if (index === undefined) continue;
    if (full[index]!.kind === 'folder') folderAt(index);
    else included.push(index);
    for (let p = parent[index]!; p >= 0; p = parent[p]!) {
      const folder = folderAt(p);
      folder.pathCount++;
      folder.versionCount += entry.count;
    }
  }
  included.sort((a, b) => a - b);
  return included.map((index) => copies.get(index) ?? full[index]!);
}

/** Drops the rows below collapsed folders and marks those folders collapsed. */
export function applyCollapsed(rows: readonly PathRow[], collapsed: ReadonlySet<string>): readonly PathRow[] {
  if (collapsed.size === 0) return rows;
  const out: PathRow[] = [];
  let hidePrefix: string | undefined;
  for (const row of rows) {
    if (hidePrefix !== undefined && row.key.startsWith(hidePrefix)) continue;
    hidePrefix = undefined;
    if (row.kind === 'folder' && collapsed.has(row.key)) {
      out.push({ ...row, collapsed: true });
      hidePrefix = row.key + '/';
    } else {
      out.push(row);
    }
  }
  return out;
}

const filterForRows = createPathFilter();
const treeRowsOf = memoizeLast(buildTreeRows);
const filteredTreeOf = memoizeLast(filterTreeRows);
const flatRowsOf = memoizeLast(flatRows);
const collapsedRowsOf = memoizeLast(applyCollapsed);

/**
 * The rows the path list shows. Memoised: the same inputs (by identity) return the same array. While a filter is
 * set, collapsed folders are ignored so that every match is visible.
 */
export function selectPathRows(
  paths: readonly CatalogPath[],
  layout: PathLayout,
  filterText: string,
  collapsed: ReadonlySet<string>,
): readonly PathRow[] {
  if (layout === 'flat') return flatRowsOf(filterForRows(paths, filterText));
  const ordered = treeOrder(paths);
  const full = treeRowsOf(ordered);
  if (filterText.length === 0) return collapsedRowsOf(full, collapsed);
  const matched = filterForRows(ordered, filterText);
  return matched === ordered ? full : filteredTreeOf(full, matched);
}

/** Index of the row with `key`, or -1. */
export function rowIndexOf(rows: readonly PathRow[], key: string | undefined): number {
  if (key === undefined) return -1;
  return rows.findIndex((row) => row.key === key);
}

/** Index of the nearest folder above `index` at a smaller depth (the row's parent), or -1. */
export function parentRowIndex(rows: readonly PathRow[], index: number): number {
  const row = rows[index];
  if (!row) return -1;
  for (let i = index - 1; i >= 0; i--) if (rows[i]!.kind === 'folder' && rows[i]!.depth < row.depth) return i;
  return -1;
}
