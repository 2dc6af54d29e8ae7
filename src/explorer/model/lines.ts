// The text of each screen line, fitted to the terminal width: the components only choose colours. Pure, so that
// what a row says is tested without rendering, and 100,000 rows cost nothing until one is on screen.
import { displayName } from '../../util/display-name.js';
import { column, fitEnd, fitStart } from './format.js';
import type { PathRow } from './path-rows.js';
import type { ExplorerState } from './state.js';
import { versionColumns } from './version-rows.js';
import type { EntryItem } from './types.js';

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** A path-list row: cursor mark, tree indent, folder arrow, name, and the count column on the right. */
export function pathRowText(row: PathRow, selected: boolean, width: number): string {
  const mark = selected ? '>' : ' ';
  const indent = '  '.repeat(row.depth);
  const count =
    row.kind === 'folder'
      ? plural(row.pathCount, 'path')
      : `${row.entry.deleted ? 'deleted  ' : ''}${plural(row.entry.count, 'version')}`;
  const label = displayName(row.label);
  const name = row.kind === 'folder' ? `${row.collapsed ? '▸' : '▾'} ${label}/` : `  ${label}`;
  const room = Math.max(1, width - count.length - 2);
  // The mark and indent stay; a long name loses its beginning (the end of a path says the most).
  const prefix = fitEnd(`${mark}${indent}`, Math.floor(room / 2));
  const left = prefix + fitStart(name, room - prefix.length);
  return fitEnd(`${left.padEnd(room)} ${count}`, width);
}

/** Widths of the versions-list columns for a terminal `width` wide (the "who" column takes what is left). */
export function versionColumnWidths(width: number): { id: number; time: number; event: number; size: number; who: number } {
  const id = 20;
  const time = 19;
  const event = 9;
  const size = 9;
  const who = Math.max(0, width - (2 + id + 1 + time + 1 + event + 1 + size + 1));
  return { id, time, event, size, who };
}

export function versionHeaderText(width: number): string {
  const w = versionColumnWidths(width);
  const text = `  ${column('VERSION', w.id)} ${column('TIME', w.time)} ${column('EVENT', w.event)} ${column('SIZE', w.size, 'right')} ${column('WHO', w.who)}`;
  return fitEnd(text, width);
}

/** A versions-list row: cursor and diff mark, then id, time, event, size, who (a forgotten version says so first). */
export function versionRowText(item: EntryItem, selected: boolean, marked: boolean, width: number, forgotten = false): string {
  const c = versionColumns(item);
  if (forgotten) c.who = `[forgotten] ${c.who}`.trimEnd();
  const w = versionColumnWidths(width);
  const mark = `${selected ? '>' : ' '}${marked ? '*' : ' '}`;
  const text = `${mark}${column(c.id, w.id)} ${column(c.time, w.time)} ${column(c.event, w.event)} ${column(c.size, w.size, 'right')} ${column(c.who, w.who)}`;
  return fitEnd(text.trimEnd(), width);
}

/** The title line: what is open, and how big the log is. */
export function titleText(state: ExplorerState, logDir: string, width: number): string {
  const where =
    state.view === 'paths'
      ? `${plural(state.paths.length, 'path')} · ${state.layout}`
      : state.view === 'versions'
        ? displayName(state.versions?.ref.display ?? '')
        : (state.document?.title ?? '');
  // Damage read past stays in sight on every view (status messages come and go), before anything the width may cut.
  const damage = state.skippedRegions > 0 ? ` (${plural(state.skippedRegions, 'damaged region')} skipped)` : '';
  const head = `synclog explore${damage} · ${where}`;
  const room = width - head.length - 3;
  return room > 8 ? fitEnd(`${head} · ${fitStart(logDir, room)}`, width) : fitEnd(head, width);
}

/** The line under the title: the filter, the versions columns, or the document's summary. */
export function subtitleText(state: ExplorerState, rowCount: number, width: number): string {
  if (state.overlay?.kind === 'help') return fitEnd('Help · j/k PgUp/PgDn scroll · Esc or ? closes', width);
  if (state.view === 'versions') return versionHeaderText(width);
  if (state.view === 'document') {
    const doc = state.document;
    if (!doc) return '';
    const end = Math.min(doc.lines.length, doc.top + 1);
    return fitEnd(`${doc.info} · line ${end}/${doc.lines.length}`, width);
  }
  if (!state.loaded) return 'Loading the catalog…';
  if (state.filtering || state.filter) {
    const cursor = state.filtering ? '▏' : '';
    return fitStart(`filter: ${state.filter}${cursor}  (${plural(rowCount, 'row')})`, width);
  }
  return fitEnd(`${plural(rowCount, 'row')} · type or / to filter · t ${state.layout === 'tree' ? 'flat list' : 'tree'} · ? help`, width);
}

const HINTS: Record<ExplorerState['view'], string> = {
  paths: '↑↓/jk move · Enter versions · p preview · r restore · e export · i import · ? help · q quit',
  versions: 'Enter/p preview · space mark · d diff · r restore · R restore to… · e export · Esc back · q quit',
  document: '↑↓/jk PgUp/PgDn g/G scroll · r restore · e export · Esc back · q quit',
};

/** The bottom line: the last message, or the keys that matter here. */
export function statusText(state: ExplorerState, width: number): string {
  if (state.status) return fitEnd(state.status.text, width);
  return fitEnd(HINTS[state.view], width);
}
