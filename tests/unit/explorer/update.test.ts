import { describe, expect, it } from 'vitest';
import {
  describeRestore,
  initialState,
  pathRows,
  selectedPathRow,
  selectedVersion,
  update,
  type Effect,
  type ExplorerState,
  type KeyInput,
  type Message,
  type RestorePlan,
  type VersionItem,
} from '../../../src/explorer/model/index.js';
import { titleText, versionRowText } from '../../../src/explorer/model/lines.js';
import { historyMessage } from '../../../src/explorer/services/run-effect.js';
import { MemoryCatalog, deleteRecord, versionRecord } from './memory-catalog.js';

function setup(records = defaultRecords()) {
  const catalog = new MemoryCatalog(records);
  let state = initialState({ size: { width: 80, height: 24 }, cwd: '/home/alice/work', home: '/home/alice' });
  const effects: Effect[] = [];
  const send = (message: Message) => {
    const result = update(state, message);
    state = result.state;
    effects.push(...result.effects);
    // Run the catalog effects the way the app does, so tests read like a session.
    for (const effect of result.effects) {
      if (effect.type === 'load-history') {
        send(historyMessage(catalog, effect.ref, effect.open));
      }
    }
    return result;
  };
  const key = (input: string, k: KeyInput = {}) => send({ type: 'key', input, key: k });
  const type = (text: string) => [...text].forEach((ch) => key(ch));
  send({ type: 'paths', paths: catalog.paths() });
  return { catalog, send, key, type, effects, get state(): ExplorerState { return state; } };
}

function defaultRecords() {
  return [
    versionRecord('home/a.txt', { event: 'created' }),
    versionRecord('home/a.txt'),
    versionRecord('home/a.txt'),
    versionRecord('home/b.txt', { event: 'created' }),
    deleteRecord('home/b.txt'),
    versionRecord('home/docs/c.md', { event: 'created' }),
  ];
}

const lastEffect = (effects: Effect[]) => effects[effects.length - 1];

describe('path list', () => {
  it('starts as a tree with the cursor on the first row and moves with arrows and vim keys', () => {
    const s = setup();
    expect(pathRows(s.state).map((r) => r.key)).toEqual(['home', 'home/a.txt', 'home/b.txt', 'home/docs', 'home/docs/c.md']);
    s.key('j');
    s.key('', { downArrow: true });
    expect(selectedPathRow(s.state)?.key).toBe('home/b.txt');
    s.key('G');
    expect(selectedPathRow(s.state)?.key).toBe('home/docs/c.md');
    s.key('k');
    s.key('g');
    expect(s.state.pathList.cursor).toBe(0);
  });

  it('collapses with h and expands with l; h on a file goes to its folder', () => {
    const s = setup();
    s.key('G');
    s.key('h');
    expect(selectedPathRow(s.state)?.key).toBe('home/docs');
    s.key('h');
    expect(pathRows(s.state).map((r) => r.key)).toEqual(['home', 'home/a.txt', 'home/b.txt', 'home/docs']);
    s.key('l');
    expect(pathRows(s.state)).toHaveLength(5);
  });

  it('filters by typing (even without /), narrows, and Esc clears it', () => {
    const s = setup();
    s.type('c.m');
    expect(s.state.filtering).toBe(true);
    expect(pathRows(s.state).filter((r) => r.kind === 'entry').map((r) => r.key)).toEqual(['home/docs/c.md']);
    s.key('', { backspace: true });
    expect(s.state.filter).toBe('c.');
    s.key('', { return: true });
    expect(s.state.filtering).toBe(false);
    expect(s.state.filter).toBe('c.');
    s.key('', { escape: true });
    expect(s.state.filter).toBe('');
  });

  it('/ starts a filter in which bound keys like j and q are text', () => {
    const s = setup();
    s.key('/');
    s.type('jq');
    expect(s.state.filter).toBe('jq');
    expect(s.state.quitting).toBe(false);
    expect(pathRows(s.state)).toEqual([]);
  });

  it('switches to a flat list with t and keeps the selection', () => {
    const s = setup();
    s.key('j');
    s.key('t');
    expect(s.state.layout).toBe('flat');
    expect(selectedPathRow(s.state)?.key).toBe('home/a.txt');
    expect(pathRows(s.state).map((r) => r.label)).toEqual(['home/a.txt', 'home/b.txt', 'home/docs/c.md']);
  });

  it('keeps the cursor on the same path when a live refresh adds paths above it', () => {
    const s = setup();
    s.key('G');
    s.catalog.add([versionRecord('home/0-first.txt')]);
    s.send({ type: 'paths', paths: s.catalog.paths() });
    expect(selectedPathRow(s.state)?.key).toBe('home/docs/c.md');
    expect(pathRows(s.state)).toHaveLength(6);
  });

  it('opens a path by --path, or filters by it when it is not a path', () => {
    const s = setup();
    s.send({ type: 'select-path', display: 'home/a.txt' });
    expect(s.state.view).toBe('versions');
    expect(s.state.versions?.items).toHaveLength(3);
    const t = setup();
    t.send({ type: 'select-path', display: 'docs' });
    expect(t.state.filter).toBe('docs');
  });
});

describe('versions', () => {
  function openA() {
    const s = setup();
    s.key('j');
    s.key('', { return: true });
    return s;
  }

  it('Enter opens the versions of a path, newest first; Esc goes back', () => {
    const s = openA();
    expect(s.state.view).toBe('versions');
    const items = s.state.versions!.items;
    expect(items.map((i) => i.record.kind === 'version' && i.record.event)).toEqual(['modified', 'modified', 'created']);
    expect(items[0]!.seq).toBeGreaterThan(items[2]!.seq);
    s.key('', { escape: true });
    expect(s.state.view).toBe('paths');
  });

  it('d diffs the selected version against the previous one', () => {
    const s = openA();
    s.key('d');
    const effect = lastEffect(s.effects);
    expect(effect?.type).toBe('load-diff');
    const items = s.state.versions!.items;
    expect(effect).toMatchObject({ before: items[1], after: items[0] });
  });

  it('d on the first version says there is nothing older', () => {
    const s = openA();
    s.key('G');
    s.key('d');
    expect(s.state.status?.text).toMatch(/first version/);
  });

  it('space marks two versions and d diffs them older first; a third mark drops the first', () => {
    const s = openA();
    const items = s.state.versions!.items;
    s.key(' '); // marks items[0], moves down
    s.key('j'); // skip items[1]
    s.key(' '); // marks items[2]
    expect(s.state.versions!.marks).toEqual([items[0]!.record.versionId, items[2]!.record.versionId]);
    s.key('d');
    expect(lastEffect(s.effects)).toMatchObject({ type: 'load-diff', before: items[2], after: items[0] });
    s.key('k');
    s.key(' ');
    expect(s.state.versions!.marks).toEqual([items[2]!.record.versionId, items[1]!.record.versionId]);
  });

  it('a tombstone is listed but cannot be restored', () => {
    const s = setup();
    s.key('j');
    s.key('j');
    s.key('', { return: true });
    expect(selectedVersion(s.state)?.record.kind).toBe('delete');
    s.key('r');
    expect(s.state.status?.text).toMatch(/tombstone/);
    expect(lastEffect(s.effects)?.type).toBe('load-history');
  });

  it('a live refresh of the open path keeps the cursor on the same version', () => {
    const s = openA();
    s.key('j');
    const id = selectedVersion(s.state)!.record.versionId;
    s.catalog.add([versionRecord('home/a.txt')]);
    s.send({ type: 'history', ref: s.state.versions!.ref, history: s.catalog.history('home', 'a.txt'), open: false });
    expect(s.state.versions!.items).toHaveLength(4);
    expect(selectedVersion(s.state)!.record.versionId).toBe(id);
  });

  it('marks a version a forget named, on open and after a live refresh, and no other', () => {
    const s = setup();
    const oldest = s.catalog.history('home', 'a.txt')[0]!.record.versionId;
    s.catalog.forget(oldest);
    s.key('j');
    s.key('', { return: true });
    const rows = () => s.state.versions!.items.map((item) => versionRowText(item, false, false, 100, s.state.versions!.forgotten.includes(item.record.versionId)));
    expect(rows().map((row) => row.includes('[forgotten]'))).toEqual([false, false, true]);
    s.catalog.add([versionRecord('home/a.txt')]);
    s.send(historyMessage(s.catalog, s.state.versions!.ref, false));
    expect(rows().map((row) => row.includes('[forgotten]'))).toEqual([false, false, false, true]);
  });

  it('Enter previews; the preview scrolls and Esc returns to the versions', () => {
    const s = openA();
    s.key('', { return: true });
    expect(lastEffect(s.effects)).toMatchObject({ type: 'load-preview' });
    const item = selectedVersion(s.state)!;
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    s.send({ type: 'preview', item, preview: { kind: 'text', info: 'text', lines } });
    expect(s.state.view).toBe('document');
    s.key('', { pageDown: true });
    expect(s.state.document!.top).toBe(19);
    s.key('G');
    expect(s.state.document!.top).toBe(100 - 20);
    s.key('', { escape: true });
    expect(s.state.view).toBe('versions');
  });
});

describe('restore, export, import', () => {
  function planFor(version: VersionItem, existing?: RestorePlan['existing']): RestorePlan {
    return { version, target: '/data/home/a.txt', existing, original: true };
  }

  it('r asks for a plan, shows the confirmation, and y restores', () => {
    const s = setup();
    s.key('j');
    s.key('', { return: true });
    s.key('r');
    const effect = lastEffect(s.effects);
    expect(effect).toMatchObject({ type: 'plan-restore' });
    expect((effect as Extract<Effect, { type: 'plan-restore' }>).target).toBeUndefined();
    const version = (effect as Extract<Effect, { type: 'plan-restore' }>).version;
    const plan = planFor(version, { type: 'file', size: 99, mtimeMs: Date.UTC(2024, 5, 1) });
    s.send({ type: 'restore-plan', plan });
    expect(s.state.overlay?.kind).toBe('confirm-restore');
    s.key('y');
    expect(lastEffect(s.effects)).toEqual({ type: 'restore', plan });
    expect(s.state.overlay).toBeUndefined();
  });

  it('n cancels a restore and says nothing was written', () => {
    const s = setup();
    s.key('j');
    s.key('r');
    const version = (lastEffect(s.effects) as Extract<Effect, { type: 'plan-restore' }>).version;
    s.send({ type: 'restore-plan', plan: planFor(version) });
    const before = s.effects.length;
    s.key('n');
    expect(s.effects.length).toBe(before);
    expect(s.state.status?.text).toMatch(/nothing was written/);
  });

  it('R prompts for another path, relative to the working directory or ~', () => {
    const s = setup();
    s.key('j');
    s.key('R');
    expect(s.state.overlay).toMatchObject({ kind: 'prompt', purpose: 'restore-to', value: '/home/alice/work/a.txt' });
    s.key('u', { ctrl: true });
    s.type('copy.txt');
    s.key('', { return: true });
    expect(lastEffect(s.effects)).toMatchObject({ type: 'plan-restore', target: '/home/alice/work/copy.txt' });
    s.key('R');
    s.key('u', { ctrl: true });
    s.type('~/backup/a.txt');
    s.key('', { return: true });
    expect(lastEffect(s.effects)).toMatchObject({ type: 'plan-restore', target: '/home/alice/backup/a.txt' });
  });

  it('the confirmation names what is overwritten', () => {
    const s = setup();
    const version = s.catalog.history('home', 'a.txt')[0] as VersionItem;
    const over = describeRestore(planFor(version, { type: 'file', size: 2048, mtimeMs: Date.UTC(2024, 5, 1) }));
    expect(over.action).toContain('/data/home/a.txt');
    expect(over.action).toContain(version.record.versionId);
    expect(over.consequence).toMatch(/OVERWRITES the existing file there: 2.0 KiB/);
    expect(describeRestore(planFor(version)).consequence).toMatch(/created/);
    expect(describeRestore(planFor(version, { type: 'dir', size: 0, mtimeMs: 0 })).consequence).toMatch(/refuse/);
  });

  it('e offers version, history and tree exports with a suggested archive path', () => {
    const s = setup();
    s.key('j');
    s.key('', { return: true });
    s.key('e');
    expect(s.state.overlay?.kind).toBe('export-menu');
    s.key('h');
    expect(s.state.overlay).toMatchObject({ kind: 'prompt', purpose: 'export', exportKind: 'history', value: '/home/alice/work/synclog-a.txt-history.tar.gz' });
    s.key('', { return: true });
    expect(lastEffect(s.effects)).toMatchObject({ type: 'export', request: { kind: 'history', archivePath: '/home/alice/work/synclog-a.txt-history.tar.gz' } });
  });

  it('i prompts for an archive and imports it; Esc cancels a prompt', () => {
    const s = setup();
    s.key('i');
    s.type('in.tar.gz');
    s.key('', { return: true });
    expect(lastEffect(s.effects)).toEqual({ type: 'import', archivePath: '/home/alice/work/in.tar.gz' });
    s.key('i');
    s.key('', { escape: true });
    expect(s.state.overlay).toBeUndefined();
  });
});

describe('help, quit, resize', () => {
  it('? opens help, ? closes it, q quits from anywhere', () => {
    const s = setup();
    s.key('?');
    expect(s.state.overlay?.kind).toBe('help');
    s.key('?');
    expect(s.state.overlay).toBeUndefined();
    s.key('j');
    s.key('', { return: true });
    s.key('q');
    expect(s.state.quitting).toBe(true);
    expect(lastEffect(s.effects)).toEqual({ type: 'quit' });
  });

  it('a smaller terminal scrolls the list so the cursor stays visible', () => {
    const records = Array.from({ length: 60 }, (_, i) => versionRecord(`r/f${String(i).padStart(2, '0')}`));
    const s = setup(records);
    s.key('G');
    s.send({ type: 'resize', size: { width: 60, height: 10 } });
    const { cursor, top } = s.state.pathList;
    expect(cursor).toBe(60);
    expect(cursor - top).toBeLessThan(10 - 4);
    expect(top).toBe(61 - 6);
  });
});

describe('damage read past (--skip-damaged)', () => {
  it('counts the skipped regions in the title on every view, says once what they cost, and never counts down', () => {
    const s = setup();
    expect(titleText(s.state, '/log', 100)).not.toContain('damaged');
    s.send({ type: 'skipped-regions', count: 1 });
    expect(titleText(s.state, '/log', 100)).toMatch(/^synclog explore \(1 damaged region skipped\) · /);
    expect(s.state.status).toMatchObject({ tone: 'error', text: expect.stringContaining('Read past 1 damaged region') });
    s.key('j');
    s.key('', { return: true });
    expect(s.state.view).toBe('versions');
    expect(titleText(s.state, '/log', 100)).toContain('(1 damaged region skipped)');
    s.send({ type: 'skipped-regions', count: 2 });
    expect(titleText(s.state, '/log', 100)).toContain('(2 damaged regions skipped)');
    const before = s.state;
    s.send({ type: 'skipped-regions', count: 1 });
    expect(s.state).toBe(before);
  });
});
