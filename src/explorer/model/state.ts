// The explorer's whole UI state as one immutable value, the messages that change it and the effects it asks for.
// The update function (update.ts) is pure: (state, message) → (state, effects); hooks run the effects (store reads,
// restore, export) and feed their results back as messages. Never imports ink or react.
import type { Preview } from './preview.js';
import type { KeyInput } from './keymap.js';
import { selectPathRows, type PathLayout, type PathRow } from './path-rows.js';
import type { DiffLine } from './unified-diff.js';
import type { ListPosition } from './viewport.js';
import type { CatalogPath, EntryItem, ExportKind, ExportRequest, PathRef, RestorePlan, VersionItem } from './types.js';

export type View = 'paths' | 'versions' | 'document';

export interface TerminalSize {
  width: number;
  height: number;
}

/** The versions of one path, newest first. */
export interface VersionsState {
  ref: PathRef;
  items: readonly EntryItem[];
  list: ListPosition;
  /** Version ids marked for diff, in marking order (at most two). */
  marks: readonly string[];
  /** Version ids a forget record named: listed, marked, restorable until a prune removes them. */
  forgotten: readonly string[];
}

export type DocumentLine = { kind: DiffLine['kind'] | 'text' | 'hex'; text: string };

/** A scrollable read-only document: a preview or a diff. */
export interface DocumentState {
  kind: 'preview' | 'diff';
  title: string;
  info: string;
  lines: readonly DocumentLine[];
  top: number;
  /** The version shown (preview only): r, R and e act on it. */
  item?: EntryItem;
}

export type PromptPurpose = 'restore-to' | 'export' | 'import';

export type Overlay =
  | { kind: 'help'; top: number }
  | { kind: 'confirm-restore'; plan: RestorePlan }
  | { kind: 'export-menu'; version: VersionItem }
  | { kind: 'prompt'; purpose: PromptPurpose; label: string; value: string; version?: VersionItem; exportKind?: ExportKind };

export interface Status {
  text: string;
  tone: 'info' | 'error' | 'busy';
}

export interface ExplorerState {
  size: TerminalSize;
  /** Directory that default export names are placed in (the user's working directory). */
  cwd: string;
  /** The user's home directory: a typed path starting with ~/ starts there. */
  home: string | undefined;
  /** False until the catalog's paths arrived the first time. */
  loaded: boolean;
  paths: readonly CatalogPath[];
  layout: PathLayout;
  filter: string;
  /** True while typed keys go into the filter. */
  filtering: boolean;
  /** Tree folders (display paths) the user collapsed. */
  collapsed: ReadonlySet<string>;
  pathList: ListPosition;
  view: View;
  versions: VersionsState | undefined;
  document: DocumentState | undefined;
  overlay: Overlay | undefined;
  status: Status | undefined;
  /** Set once the user asked to quit; the app unmounts. */
  quitting: boolean;
  /**
   * Damaged regions of the log read past (opened with --skip-damaged; always 0 otherwise). Shown in the title line:
   * the history shown lacks what was in them, and versions whose content was there cannot be shown or restored.
   */
  skippedRegions: number;
}

export type Message =
  | { type: 'key'; input: string; key: KeyInput }
  | { type: 'resize'; size: TerminalSize }
  | { type: 'paths'; paths: readonly CatalogPath[] }
  /** Versions of a path, oldest first; `open` switches to the versions view. */
  /** forgotten: ids of the history's versions a forget record named (still there until a prune). */
  | { type: 'history'; ref: PathRef; history: readonly EntryItem[]; forgotten?: readonly string[]; open: boolean }
  /** Open a path by display path (the --path option). */
  | { type: 'select-path'; display: string }
  | { type: 'preview'; item: EntryItem; preview: Preview }
  | { type: 'diff'; title: string; lines: readonly DiffLine[] }
  | { type: 'restore-plan'; plan: RestorePlan }
  /** Restore could not find the original location: ask for a target instead. */
  | { type: 'ask-restore-target'; version: VersionItem; reason: string; suggestion: string }
  | { type: 'done'; text: string }
  | { type: 'error'; text: string }
  /** How many damaged regions the store has read past so far (--skip-damaged). */
  | { type: 'skipped-regions'; count: number };

export type Effect =
  | { type: 'load-history'; ref: PathRef; open: boolean }
  | { type: 'load-preview'; item: EntryItem }
  | { type: 'load-diff'; before: VersionItem; after: VersionItem }
  | { type: 'plan-restore'; version: VersionItem; target?: string }
  | { type: 'restore'; plan: RestorePlan }
  | { type: 'export'; request: ExportRequest }
  | { type: 'import'; archivePath: string }
  | { type: 'quit' };

export interface InitialStateOptions {
  size: TerminalSize;
  cwd: string;
  home?: string;
  layout?: PathLayout;
}

export function initialState(options: InitialStateOptions): ExplorerState {
  return {
    size: options.size,
    cwd: options.cwd,
    home: options.home,
    loaded: false,
    paths: [],
    layout: options.layout ?? 'tree',
    filter: '',
    filtering: false,
    collapsed: new Set(),
    pathList: { cursor: 0, top: 0 },
    view: 'paths',
    versions: undefined,
    document: undefined,
    overlay: undefined,
    status: undefined,
    quitting: false,
    skippedRegions: 0,
  };
}

/** The path list's rows for this state (memoised: cheap to call on every render). */
export function pathRows(state: ExplorerState): readonly PathRow[] {
  return selectPathRows(state.paths, state.layout, state.filter, state.collapsed);
}

export function selectedPathRow(state: ExplorerState): PathRow | undefined {
  return pathRows(state)[state.pathList.cursor];
}

export function selectedVersion(state: ExplorerState): EntryItem | undefined {
  return state.versions?.items[state.versions.list.cursor];
}
