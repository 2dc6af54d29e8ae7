// The explorer's transition function: (state, message) → { state, effects }. Pure and synchronous; keys are handled
// in update-keys.ts, results of effects (paths, history, preview, diff, restore plans) here. Cursors follow the
// selected path or version across live refreshes instead of jumping.
import { displayName } from '../../util/display-name.js';
import { formatBytes, formatTime } from './format.js';
import { rowIndexOf, selectPathRows } from './path-rows.js';
import { pathRows, type Effect, type ExplorerState, type Message, type DocumentLine } from './state.js';
import { handleKey } from './update-keys.js';
import { newestFirst } from './version-rows.js';
import { bodyHeight, placeCursor, scrollTop } from './viewport.js';
import type { RestorePlan } from './types.js';

export interface UpdateResult {
  state: ExplorerState;
  effects: Effect[];
}

const none = (state: ExplorerState): UpdateResult => ({ state, effects: [] });

export function update(state: ExplorerState, message: Message): UpdateResult {
  switch (message.type) {
    case 'key':
      return handleKey(state, message.input, message.key);
    case 'resize':
      return none(relayout({ ...state, size: message.size }));
    case 'paths':
      return none(withPaths(state, message.paths));
    case 'history':
      return none(withHistory(state, message));
    case 'select-path':
      return selectPath(state, message.display);
    case 'preview':
      return none({
        ...state,
        view: 'document',
        status: undefined,
        document: {
          kind: 'preview',
          title: `${displayName(`${message.item.record.root}/${message.item.record.path}`)} @ ${message.item.record.versionId}`,
          info: message.preview.info,
          lines: message.preview.lines.map((text): DocumentLine => ({ kind: message.preview.kind === 'binary' ? 'hex' : 'text', text })),
          top: 0,
          item: message.item,
        },
      });
    case 'diff':
      return none({
        ...state,
        view: 'document',
        status: undefined,
        document: { kind: 'diff', title: message.title, info: diffSummary(message.lines), lines: message.lines, top: 0 },
      });
    case 'restore-plan':
      return none({ ...state, status: undefined, overlay: { kind: 'confirm-restore', plan: message.plan } });
    case 'ask-restore-target':
      return none({
        ...state,
        status: { text: message.reason, tone: 'info' },
        overlay: { kind: 'prompt', purpose: 'restore-to', label: 'Restore to path:', value: message.suggestion, version: message.version },
      });
    case 'done':
      return none({ ...state, status: { text: message.text, tone: 'info' } });
    case 'error':
      return none({ ...state, status: { text: message.text, tone: 'error' } });
    case 'skipped-regions':
      return none(withSkippedRegions(state, message.count));
  }
}

/** A new damaged region read past: counted in the title, and said once in the status line (what it costs). */
function withSkippedRegions(state: ExplorerState, count: number): ExplorerState {
  if (count <= state.skippedRegions) return state;
  const regions = count === 1 ? '1 damaged region' : `${count} damaged regions`;
  const text = `Read past ${regions} of the log (--skip-damaged): what was in it is missing here, and a version whose content was there shows an error. synclog verify names them.`;
  return { ...state, skippedRegions: count, status: { text, tone: 'error' } };
}

function diffSummary(lines: readonly DocumentLine[]): string {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'add') added++;
    else if (line.kind === 'remove') removed++;
  }
  return `${added} added, ${removed} removed`;
}

/** Re-clamps every scroll position after a resize so the cursor stays on screen. */
function relayout(state: ExplorerState): ExplorerState {
  const height = bodyHeight(state.size.height);
  const rows = pathRows(state);
  const pathList = placeCursor(state.pathList, state.pathList.cursor, rows.length, height);
  const versions = state.versions && {
    ...state.versions,
    list: placeCursor(state.versions.list, state.versions.list.cursor, state.versions.items.length, height),
  };
  const document = state.document && {
    ...state.document,
    top: Math.min(state.document.top, Math.max(0, state.document.lines.length - height)),
  };
  return { ...state, pathList, versions, document };
}

/** New catalog paths (first load or a live refresh): the cursor stays on the same row key when it still exists. */
function withPaths(state: ExplorerState, paths: ExplorerState['paths']): ExplorerState {
  const before = pathRows(state)[state.pathList.cursor]?.key;
  const next = { ...state, paths, loaded: true };
  const rows = selectPathRows(paths, next.layout, next.filter, next.collapsed);
  const found = rowIndexOf(rows, before);
  const index = found >= 0 ? found : state.pathList.cursor;
  return { ...next, pathList: placeCursor(state.pathList, index, rows.length, bodyHeight(state.size.height)) };
}

function withHistory(state: ExplorerState, message: Extract<Message, { type: 'history' }>): ExplorerState {
  const items = newestFirst(message.history);
  const height = bodyHeight(state.size.height);
  const current = state.versions;
  if (!message.open) {
    // A live refresh: only the versions view of the same path cares; keep the cursor on the same version.
    if (!current || current.ref.display !== message.ref.display) return state;
    const id = current.items[current.list.cursor]?.record.versionId;
    const found = items.findIndex((item) => item.record.versionId === id);
    const ids = new Set(items.map((item) => item.record.versionId));
    return {
      ...state,
      versions: {
        ...current,
        items,
        list: placeCursor(current.list, found >= 0 ? found : current.list.cursor, items.length, height),
        marks: current.marks.filter((mark) => ids.has(mark)),
        forgotten: message.forgotten ?? [],
      },
    };
  }
  const versionCount = items.filter((item) => item.record.kind === 'version').length;
  const deleteCount = items.length - versionCount;
  const counts = `${versionCount} version${versionCount === 1 ? '' : 's'}${deleteCount ? `, ${deleteCount} delete${deleteCount === 1 ? '' : 's'}` : ''}`;
  return {
    ...state,
    view: 'versions',
    versions: { ref: message.ref, items, list: { cursor: 0, top: 0 }, marks: [], forgotten: message.forgotten ?? [] },
    status: { text: `${counts} of ${message.ref.display} (newest first)`, tone: 'info' },
  };
}

/** Puts the cursor on a display path (exact) and opens its versions; otherwise filters by it. */
function selectPath(state: ExplorerState, display: string): UpdateResult {
  const wanted = display.replace(/^\/+|\/+$/g, '');
  const flat = { ...state, layout: state.layout, filter: '' };
  const rows = pathRows(flat);
  const index = rowIndexOf(rows, wanted);
  if (index < 0) {
    const filtered = { ...state, filter: wanted, filtering: false, pathList: { cursor: 0, top: 0 } };
    const count = pathRows(filtered).length;
    return none({ ...filtered, status: { text: count === 0 ? `No path matches ${wanted}` : `Filtered by ${wanted}`, tone: count === 0 ? 'error' : 'info' } });
  }
  const height = bodyHeight(state.size.height);
  const pathList = { cursor: index, top: scrollTop(index, index, height, rows.length) };
  const row = rows[index]!;
  const next = { ...flat, pathList };
  if (!row.entry) return none(next);
  const { root, path, display: key } = row.entry;
  return { state: next, effects: [{ type: 'load-history', ref: { root, path, display: key }, open: true }] };
}

/** The confirmation text for a restore plan: what is written, and what it overwrites. */
export function describeRestore(plan: RestorePlan): { action: string; consequence: string } {
  const r = plan.version.record;
  const what = r.type === 'file' ? `${formatBytes(r.size)}, ${formatTime(r.mtimeMs)}` : r.type;
  const action = `Restore ${displayName(`${r.root}/${r.path}`)} @ ${r.versionId} (${what}) to ${displayName(plan.target)}${plan.original ? ' (its original path)' : ''}?`;
  const existing = plan.existing;
  if (!existing) return { action, consequence: 'Nothing is there now: it will be created.' };
  if (r.type === 'dir') {
    return existing.type === 'dir'
      ? { action, consequence: 'The directory exists: only its mode and modification time are set.' }
      : { action, consequence: `A ${existing.type} is in the way: restore will refuse (R restores elsewhere).` };
  }
  if (existing.type === 'dir') return { action, consequence: 'A directory is in the way: restore will refuse (R restores elsewhere).' };
  const kind = existing.type === 'file' ? 'file' : existing.type;
  return { action, consequence: `This OVERWRITES the existing ${kind} there: ${formatBytes(existing.size)}, modified ${formatTime(existing.mtimeMs)}.` };
}
