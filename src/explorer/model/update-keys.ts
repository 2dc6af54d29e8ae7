// Key handling for every view and overlay: (state, key) → { state, effects }. Pure. Which key means what comes
// from keymap.ts; this file decides what an intent does where (paths list, versions list, document, overlays).
import { basename, resolve } from 'node:path';
import { helpLines, intentOf, typedText, type Intent, type KeyInput } from './keymap.js';
import { parentRowIndex, rowIndexOf, selectPathRows } from './path-rows.js';
import { pathRows, selectedPathRow, type Effect, type ExplorerState, type Overlay } from './state.js';
import type { ExportKind, VersionItem } from './types.js';
import type { UpdateResult } from './update.js';
import { diffPair, isVersion } from './version-rows.js';
import { bodyHeight, moveList, placeCursor, scrollDocument, type Move } from './viewport.js';
import { EXPLORER_LIMITS } from '../../util/limits.js';

/** Typed text appended to a filter or prompt, never beyond the input limit. */
const append = (value: string, text: string): string => (value + text).slice(0, EXPLORER_LIMITS.inputCharsMax);

const MOVE_INTENTS: ReadonlySet<string> = new Set(['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom']);
const none = (state: ExplorerState): UpdateResult => ({ state, effects: [] });
const info = (state: ExplorerState, text: string): UpdateResult => none({ ...state, status: { text, tone: 'info' } });
const busy = (state: ExplorerState, text: string, effect: Effect): UpdateResult => ({
  state: { ...state, status: { text, tone: 'busy' } },
  effects: [effect],
});

export function handleKey(state: ExplorerState, input: string, key: KeyInput): UpdateResult {
  // A message stays until the next key; work in progress keeps its notice.
  const fresh = state.status?.tone === 'busy' ? state : { ...state, status: undefined };
  if (fresh.overlay) return overlayKey(fresh, fresh.overlay, input, key);
  if (fresh.view === 'paths' && fresh.filtering) {
    const handled = filterKey(fresh, input, key);
    if (handled) return handled;
  }
  const intent = intentOf(input, key);
  if (intent === 'quit') return { state: { ...fresh, quitting: true }, effects: [{ type: 'quit' }] };
  if (intent === 'help') return none({ ...fresh, overlay: { kind: 'help', top: 0 } });
  if (intent === 'import') {
    return none({ ...fresh, overlay: { kind: 'prompt', purpose: 'import', label: 'Import archive:', value: '' } });
  }
  if (fresh.view === 'paths') return pathsKey(fresh, intent, typedText(input, key));
  if (fresh.view === 'versions') return versionsKey(fresh, intent);
  return documentKey(fresh, intent);
}

/** Text entry into the filter. Returns undefined for keys the path list handles itself (arrows, Enter). */
function filterKey(state: ExplorerState, input: string, key: KeyInput): UpdateResult | undefined {
  if (key.escape) return none(withFilter({ ...state, filtering: false }, ''));
  if (key.return) return none({ ...state, filtering: false });
  if (key.backspace || key.delete) return none(withFilter(state, state.filter.slice(0, -1)));
  if (key.ctrl && input === 'u') return none(withFilter(state, ''));
  const text = typedText(input, key);
  if (text.length > 0) return none(withFilter(state, append(state.filter, text)));
  return undefined;
}

/** A new filter text; the cursor stays on the same row when it still matches, else goes to the first. */
function withFilter(state: ExplorerState, filter: string): ExplorerState {
  const key = selectedPathRow(state)?.key;
  const rows = selectPathRows(state.paths, state.layout, filter, state.collapsed);
  const index = Math.max(0, rowIndexOf(rows, key));
  return { ...state, filter, pathList: placeCursor({ cursor: 0, top: 0 }, index, rows.length, bodyHeight(state.size.height)) };
}

/** Same selection, different rows (layout switch, collapse): follow the selected key. */
function keepSelection(before: ExplorerState, after: ExplorerState, fallbackKey?: string): ExplorerState {
  const key = fallbackKey ?? selectedPathRow(before)?.key;
  const rows = pathRows(after);
  const index = Math.max(0, rowIndexOf(rows, key));
  return { ...after, pathList: placeCursor(after.pathList, index, rows.length, bodyHeight(after.size.height)) };
}

function pathsKey(state: ExplorerState, intent: Intent | undefined, typed: string): UpdateResult {
  const rows = pathRows(state);
  const height = bodyHeight(state.size.height);
  const row = rows[state.pathList.cursor];
  if (intent && MOVE_INTENTS.has(intent)) return none({ ...state, pathList: moveList(state.pathList, intent as Move, rows.length, height) });
  switch (intent) {
    case 'filter':
      return none({ ...state, filtering: true });
    case 'layout':
      return none(keepSelection(state, { ...state, layout: state.layout === 'tree' ? 'flat' : 'tree' }));
    case 'back':
      return state.filter ? none(withFilter(state, '')) : none(state);
    case 'open':
    case 'right':
      if (row?.kind === 'folder') {
        if (intent === 'open' || row.collapsed) return none(toggleFolder(state, row.key));
        return none({ ...state, pathList: moveList(state.pathList, 'down', rows.length, height) });
      }
      if (!row) return none(state);
      return { state, effects: [{ type: 'load-history', ref: { root: row.entry.root, path: row.entry.path, display: row.entry.display }, open: true }] };
    case 'left': {
      if (row?.kind === 'folder' && !row.collapsed && state.filter === '') return none(toggleFolder(state, row.key));
      const parent = parentRowIndex(rows, state.pathList.cursor);
      return parent < 0 ? none(state) : none({ ...state, pathList: placeCursor(state.pathList, parent, rows.length, height) });
    }
    case 'mark':
    case 'diff':
      return info(state, 'Open the versions of a path (Enter) to mark and diff them.');
    case 'preview':
    case 'restore':
    case 'restoreTo':
    case 'export': {
      const latest = row?.entry?.latest;
      if (!isVersion(latest)) return info(state, 'The newest entry of this path is not a version: open its versions (Enter) to pick one.');
      return versionIntent(state, intent, latest);
    }
    case undefined:
      // Typing a character no key is bound to starts a filter with it.
      return typed.length > 0 ? none(withFilter({ ...state, filtering: true }, append(state.filter, typed))) : none(state);
    default:
      return none(state);
  }
}

function toggleFolder(state: ExplorerState, key: string): ExplorerState {
  if (state.filter !== '') return state;
  const collapsed = new Set(state.collapsed);
  if (collapsed.has(key)) collapsed.delete(key);
  else collapsed.add(key);
  return keepSelection(state, { ...state, collapsed }, key);
}

function versionsKey(state: ExplorerState, intent: Intent | undefined): UpdateResult {
  const versions = state.versions!;
  const height = bodyHeight(state.size.height);
  const item = versions.items[versions.list.cursor];
  if (intent && MOVE_INTENTS.has(intent)) {
    return none({ ...state, versions: { ...versions, list: moveList(versions.list, intent as Move, versions.items.length, height) } });
  }
  switch (intent) {
    case 'back':
    case 'left':
      return none({ ...state, view: 'paths' });
    case 'mark': {
      if (!item) return none(state);
      const id = item.record.versionId;
      const marks = versions.marks.includes(id) ? versions.marks.filter((m) => m !== id) : [...versions.marks, id].slice(-2);
      const list = moveList(versions.list, 'down', versions.items.length, height);
      return info({ ...state, versions: { ...versions, marks, list } }, `${marks.length} marked${marks.length === 2 ? ': d diffs them' : ''}`);
    }
    case 'diff': {
      const pair = diffPair(versions.items, versions.list.cursor, versions.marks);
      if (typeof pair === 'string') return info(state, pair);
      return busy(state, 'Reading both versions…', { type: 'load-diff', before: pair[0], after: pair[1] });
    }
    case 'open':
    case 'right':
    case 'preview':
      return item ? busy(state, 'Reading…', { type: 'load-preview', item }) : none(state);
    case 'restore':
    case 'restoreTo':
    case 'export':
      if (!isVersion(item)) return info(state, 'A tombstone records a delete: pick a version to restore or export.');
      return versionIntent(state, intent, item);
    default:
      return none(state);
  }
}

function documentKey(state: ExplorerState, intent: Intent | undefined): UpdateResult {
  const doc = state.document!;
  if (intent && MOVE_INTENTS.has(intent)) {
    return none({ ...state, document: { ...doc, top: scrollDocument(doc.top, intent as Move, doc.lines.length, bodyHeight(state.size.height)) } });
  }
  switch (intent) {
    case 'back':
    case 'left':
      return none({ ...state, view: state.versions ? 'versions' : 'paths', document: undefined });
    case 'restore':
    case 'restoreTo':
    case 'export':
      if (!isVersion(doc.item)) return info(state, 'Open a version preview to restore or export it.');
      return versionIntent(state, intent, doc.item);
    default:
      return none(state);
  }
}

/** p, r, R and e on one version (from any view). */
function versionIntent(state: ExplorerState, intent: 'preview' | 'restore' | 'restoreTo' | 'export', version: VersionItem): UpdateResult {
  switch (intent) {
    case 'preview':
      return busy(state, 'Reading…', { type: 'load-preview', item: version });
    case 'restore':
      return busy(state, 'Checking the target…', { type: 'plan-restore', version });
    case 'restoreTo':
      return none({ ...state, overlay: restoreToPrompt(state, version, resolve(state.cwd, basename(version.record.path))) });
    case 'export':
      return none({ ...state, overlay: { kind: 'export-menu', version } });
  }
}

function restoreToPrompt(state: ExplorerState, version: VersionItem, value: string): Overlay {
  return { kind: 'prompt', purpose: 'restore-to', label: 'Restore to path:', value, version };
}

/** The archive name an export suggests, in the working directory. */
export function suggestedArchivePath(cwd: string, kind: ExportKind, version: VersionItem): string {
  const r = version.record;
  const name =
    kind === 'version'
      ? `synclog-${basename(r.path)}-${r.versionId}.tar.gz`
      : kind === 'history'
        ? `synclog-${basename(r.path)}-history.tar.gz`
        : `synclog-tree-at-${r.versionId}.tar.gz`;
  return resolve(cwd, name);
}

function overlayKey(state: ExplorerState, overlay: Overlay, input: string, key: KeyInput): UpdateResult {
  const close = { ...state, overlay: undefined };
  if (overlay.kind === 'prompt') return promptKey(state, overlay, input, key);
  const intent = intentOf(input, key);
  if (overlay.kind === 'help') {
    if (intent === 'quit') return { state: { ...state, quitting: true }, effects: [{ type: 'quit' }] };
    if (intent && MOVE_INTENTS.has(intent)) return none({ ...state, overlay: { kind: 'help', top: scrollDocument(overlay.top, intent as Move, helpLines().length, bodyHeight(state.size.height)) } });
    return intent === 'back' || intent === 'help' || intent === 'open' ? none(close) : none(state);
  }
  if (overlay.kind === 'confirm-restore') {
    if (input === 'y' || input === 'Y') return busy(close, `Restoring to ${overlay.plan.target}…`, { type: 'restore', plan: overlay.plan });
    if (input === 'o' || input === 'R') return none({ ...state, overlay: restoreToPrompt(state, overlay.plan.version, overlay.plan.target) });
    if (input === 'n' || input === 'N' || intent === 'back' || intent === 'quit') return info(close, 'Restore cancelled: nothing was written.');
    return none(state);
  }
  const kinds: Record<string, ExportKind> = { v: 'version', h: 'history', t: 'tree' };
  const kind = kinds[input];
  if (kind) {
    const value = suggestedArchivePath(state.cwd, kind, overlay.version);
    return none({ ...state, overlay: { kind: 'prompt', purpose: 'export', label: `Export ${kind} to archive:`, value, version: overlay.version, exportKind: kind } });
  }
  return intent === 'back' || intent === 'quit' ? none(close) : none(state);
}

function promptKey(state: ExplorerState, prompt: Extract<Overlay, { kind: 'prompt' }>, input: string, key: KeyInput): UpdateResult {
  if (key.escape) return info({ ...state, overlay: undefined }, 'Cancelled.');
  if (key.backspace || key.delete) return none({ ...state, overlay: { ...prompt, value: prompt.value.slice(0, -1) } });
  if (key.ctrl && input === 'u') return none({ ...state, overlay: { ...prompt, value: '' } });
  if (!key.return) {
    const text = typedText(input, key);
    return text ? none({ ...state, overlay: { ...prompt, value: append(prompt.value, text) } }) : none(state);
  }
  const value = prompt.value.trim();
  if (value === '') return info(state, 'Type a path first (Esc cancels).');
  const target = resolve(state.cwd, state.home && (value === '~' || value.startsWith('~/')) ? state.home + value.slice(1) : value);
  const closed = { ...state, overlay: undefined };
  switch (prompt.purpose) {
    case 'restore-to':
      return busy(closed, 'Checking the target…', { type: 'plan-restore', version: prompt.version!, target });
    case 'export':
      return busy(closed, `Exporting to ${target}…`, { type: 'export', request: { kind: prompt.exportKind!, version: prompt.version!, archivePath: target } });
    case 'import':
      return busy(closed, `Importing ${target}…`, { type: 'import', archivePath: target });
  }
}
