import { readFile, stat, writeFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { appendSteps, type LogStep } from './build-log.js';
import { KEYS, startApp, type Harness } from './app-harness.js';
import { MemoryCatalog, manyPaths } from './memory-catalog.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

const STEPS: LogStep[] = [
  { file: 'home/notes.txt', content: 'one\ntwo\nthree\n', event: 'created', owner: 'alice' },
  { file: 'home/notes.txt', content: 'one\n2\nthree\nfour\n', owner: 'bob', mode: 0o600 },
  { file: 'home/docs/readme.md', content: '# Readme\n', event: 'created' },
  { file: 'home/img.png', content: PNG, event: 'created' },
];

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const lines = (frame: string) => frame.split('\n');
const selectedLine = (frame: string) => lines(frame).find((l) => l.startsWith('>')) ?? '';

describe('explorer app', () => {
  it('shows the tree with version counts and moves with arrows and vim keys', async () => {
    harness = await startApp(STEPS);
    const frame = harness.frame();
    expect(frame).toMatch(/▾ home\/\s+3 paths/);
    expect(frame).toMatch(/notes\.txt\s+2 versions/);
    expect(selectedLine(frame)).toContain('home/');
    await harness.press('j', 'j');
    await harness.waitFor((f) => selectedLine(f).includes('readme.md'), 'j j');
    await harness.press(KEYS.down);
    await harness.waitFor((f) => selectedLine(f).includes('img.png'), 'down');
    await harness.press('k', 'G');
    await harness.waitFor((f) => selectedLine(f).includes('notes.txt'), 'k G');
    await harness.press('t');
    await harness.waitFor((f) => f.includes('flat') && selectedLine(f).includes('home/notes.txt'), 'the flat list');
  });

  it('fits 80x24: no line wider than 80 and no more than 24 lines', async () => {
    harness = await startApp(STEPS);
    const paths = harness.frame();
    await harness.press('?');
    const help = await harness.waitFor((f) => f.includes('Help · j/k') && f.includes('move down'), 'the help');
    for (const frame of [paths, help]) {
      expect(lines(frame).length).toBeLessThanOrEqual(24);
      for (const line of lines(frame)) expect(line.length).toBeLessThanOrEqual(80);
    }
  });

  it('filters by typing', async () => {
    harness = await startApp(STEPS);
    // 'm' is not a key, so typing it starts a filter; after that every letter is filter text (even bound ones).
    await harness.press('m', 'e', '.');
    const frame = await harness.waitFor((f) => f.includes('filter: me.'));
    expect(frame).toContain('readme.md');
    expect(frame).not.toContain('notes.txt');
    await harness.press(KEYS.escape);
    await harness.waitFor((f) => f.includes('notes.txt'), 'the filter cleared');
  });

  it('lists versions with id, time, event, size and owner', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/notes.txt' });
    const frame = await harness.waitFor((f) => f.includes('VERSION'), 'the versions view');
    const history = (await harness.store.catalog()).history('home', 'notes.txt');
    const [older, newer] = history.map((h) => h.record.versionId);
    const rows = lines(frame).filter((l) => l.includes(older!) || l.includes(newer!));
    expect(rows[0]).toMatch(new RegExp(`^> ${newer}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+modified\\s+17 B\\s+bob`));
    expect(rows[1]).toMatch(new RegExp(`^  ${older}\\s+.*created\\s+14 B\\s+alice`));
  });

  it('diffs the selected version against the previous one, and two marked versions', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/notes.txt' });
    await harness.waitFor((f) => f.includes('VERSION'));
    await harness.press('d');
    const frame = await harness.waitFor((f) => f.includes('@@'), 'the diff');
    expect(frame).toContain('-two');
    expect(frame).toContain('+2');
    expect(frame).toContain('+four');
    expect(frame).toContain('2 added, 1 removed');
    await harness.press(KEYS.escape, ' ', ' ', 'd');
    await harness.waitFor((f) => f.includes('@@') && f.includes('+four'), 'the marked diff');
  });

  it('previews text, and binary as hex with its detected type', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/img.png' });
    await harness.waitFor((f) => f.includes('VERSION'));
    await harness.press('p');
    const frame = await harness.waitFor((f) => f.includes('png,'), 'the binary preview');
    expect(frame).toContain('16 B');
    expect(frame).toContain('00000000  89 50 4e 47 0d 0a 1a 0a');
    await harness.press(KEYS.escape, KEYS.escape, 'g', 'j', 'j', 'p');
    await harness.waitFor((f) => f.includes('# Readme') && f.includes('text, 9 B, 1 lines'), 'the text preview');
  });

  it('restores a version over the original file after a confirmation that says what is overwritten', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/notes.txt' });
    const target = join(harness.rootDir, 'notes.txt');
    await writeFile(target, 'local edit that will be replaced, 45 bytes..\n');
    await utimes(target, new Date('2024-06-01T00:00:00Z'), new Date('2024-06-01T00:00:00Z'));
    await harness.waitFor((f) => f.includes('VERSION'));
    await harness.press('j', 'r');
    const confirm = await harness.waitFor((f) => f.includes('OVERWRITES'), 'the confirmation');
    expect(confirm).toContain(target);
    expect(confirm).toMatch(/existing file there: 45 B, modified 2024-0[56]-\d\d/);
    expect(await readFile(target, 'utf8')).toContain('local edit');
    await harness.press('y');
    await harness.waitFor((f) => f.includes('Restored home/notes.txt'), 'the restore');
    expect(await readFile(target, 'utf8')).toBe('one\ntwo\nthree\n');
    const info = await stat(target);
    const version = (await harness.store.catalog()).history('home', 'notes.txt')[0]!.record;
    expect(info.mtimeMs).toBe(version.kind === 'version' ? version.mtimeMs : -1);
  });

  it('cancelling a restore writes nothing', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/notes.txt' });
    await harness.waitFor((f) => f.includes('VERSION'));
    await harness.press('r');
    await harness.waitFor((f) => f.includes('will be created'), 'the confirmation for a new file');
    await harness.press('n');
    await harness.waitFor((f) => f.includes('nothing was written'));
    await expect(stat(join(harness.rootDir, 'notes.txt'))).rejects.toThrow();
  });

  it('restores to another path typed at the prompt, with the version mode', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/notes.txt' });
    await harness.waitFor((f) => f.includes('VERSION'));
    await harness.press('R');
    await harness.waitFor((f) => f.includes('Restore to path:'));
    await harness.press('\u0015'); // ctrl-u clears the suggestion
    await harness.press(...'copy/notes-old.txt', KEYS.enter);
    await harness.waitFor((f) => f.includes('will be created'));
    await harness.press('y');
    await harness.waitFor((f) => f.includes('Restored'));
    const copy = join(harness.dir, 'copy', 'notes-old.txt');
    expect(await readFile(copy, 'utf8')).toBe('one\n2\nthree\nfour\n');
    expect((await stat(copy)).mode & 0o777).toBe(0o600);
  });

  it('exports the selected version to an archive, and imports it into another log', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/notes.txt' });
    await harness.waitFor((f) => f.includes('VERSION'));
    await harness.press('e');
    await harness.waitFor((f) => f.includes('h  the history of this file'));
    await harness.press('h');
    await harness.waitFor((f) => f.includes('Export history to archive:'));
    await harness.press(KEYS.enter);
    const done = await harness.waitFor((f) => /Exported|rror/.test(f), 'the export');
    expect(done).toMatch(/Exported 2 versions/);
    const archive = join(harness.dir, 'synclog-notes.txt-history.tar.gz');
    expect((await stat(archive)).size).toBeGreaterThan(0);
    await harness.close();

    harness = await startApp([{ file: 'home/other.txt', content: 'x' }]);
    await harness.press('i');
    await harness.waitFor((f) => f.includes('Import archive:'));
    await harness.press(...archive, KEYS.enter);
    expect(await harness.waitFor((f) => /Imported|rror/.test(f), 'the import')).toContain('Imported');
    await harness.waitFor((f) => f.includes('notes.txt'), 'the imported path');
  });

  it('exports the tree at a version\'s time, and the version alone', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/docs/readme.md' });
    await harness.waitFor((f) => f.includes('VERSION'));
    await harness.press('e', 't');
    await harness.waitFor((f) => f.includes('Export tree to archive:'));
    await harness.press(KEYS.enter);
    // readme.md is the third record: the tree then holds notes.txt (newest version) and readme.md.
    expect(await harness.waitFor((f) => /Exported|rror/.test(f), 'the tree export')).toMatch(/Exported 2 versions/);
    await harness.press('e', 'v');
    await harness.waitFor((f) => f.includes('Export version to archive:'));
    await harness.press(KEYS.enter);
    await harness.waitFor((f) => /Exported 1 version/.test(f), 'the version export');
    const version = (await harness.store.catalog()).history('home', 'docs/readme.md')[0]!.record.versionId;
    expect((await stat(join(harness.dir, `synclog-readme.md-${version}.tar.gz`))).size).toBeGreaterThan(0);
    expect((await stat(join(harness.dir, `synclog-tree-at-${version}.tar.gz`))).size).toBeGreaterThan(0);
  });

  it('an import while another process holds the writer lock says so and changes nothing', async () => {
    harness = await startApp(STEPS);
    const writer = await openStore(harness.logDir, { workers: 0 });
    try {
      await harness.press('i');
      await harness.waitFor((f) => f.includes('Import archive:'));
      await harness.press(...join(harness.dir, 'none.tar.gz'), KEYS.enter);
      const frame = await harness.waitFor((f) => /lock|rror|not found|ENOENT/i.test(lines(f).at(-1) ?? ''), 'the import error');
      expect(lines(frame).at(-1)).toMatch(/lock/i);
      expect(frame).not.toContain('Imported');
    } finally {
      await writer.close();
    }
  });

  it('imports through a writer the embedding process already holds (a watcher in the same process)', async () => {
    const source = await startApp(STEPS);
    const archive = join(source.dir, 'all.tar.gz');
    const { exportArchive } = await import('../../../src/archive/index.js');
    await exportArchive(source.store, { kind: 'all' }, archive);
    await source.close();
    harness = await startApp([{ file: 'home/other.txt', content: 'x' }], { withWriter: true });
    await harness.press('i');
    await harness.waitFor((f) => f.includes('Import archive:'));
    await harness.press(...archive, KEYS.enter);
    expect(await harness.waitFor((f) => /Imported|rror/.test(f), 'the import')).toContain('Imported');
    await harness.waitFor((f) => f.includes('img.png'), 'the imported paths');
  });

  it('shows versions appended by another writer without a restart', async () => {
    harness = await startApp(STEPS, { initialPath: 'home/notes.txt' });
    await harness.waitFor((f) => f.includes('VERSION'));
    await appendSteps(harness.logDir, [{ file: 'home/notes.txt', content: 'live\n', owner: 'carol' }]);
    await harness.waitFor((f) => f.includes('carol'), 'the live version');
    await harness.press(KEYS.escape);
    await appendSteps(harness.logDir, [{ file: 'home/new.txt', content: 'n' }]);
    await harness.waitFor((f) => f.includes('new.txt'), 'the live path');
  });

  it('renders only the visible rows of 100,000 paths and scrolls to the end', async () => {
    const catalog = new MemoryCatalog();
    const paths = manyPaths(100_000);
    catalog.paths = () => paths;
    harness = await startApp([], { catalog });
    expect(lines(harness.frame()).length).toBeLessThanOrEqual(24);
    await harness.press('G');
    await harness.waitFor((f) => selectedLine(f).includes('file099999.txt'), 'the last row');
    await harness.press(KEYS.pageDown, 'g');
    await harness.waitFor((f) => selectedLine(f).includes('root/'), 'the first row');
  });

  it('writes no colour codes when colour is off', async () => {
    harness = await startApp(STEPS, { colour: false });
    await harness.press('?');
    await harness.waitFor((f) => f.includes('Help'), 'the help');
    for (const frame of harness.stdout.frames) expect(frame).not.toMatch(/\u001b\[[0-9;]*m/);
  });

  it('re-lays out when the terminal is resized', async () => {
    harness = await startApp(STEPS, { size: null });
    const stdout = harness.stdout;
    Object.defineProperty(stdout, 'columns', { value: 50, configurable: true });
    Object.defineProperty(stdout, 'rows', { value: 12, configurable: true });
    stdout.emit('resize');
    const frame = await harness.waitFor((f) => lines(f).every((l) => l.length <= 50) && f.includes('notes.txt'), 'the narrow layout');
    expect(lines(frame).length).toBeLessThanOrEqual(12);
  });
});

describe('empty log', () => {
  it('says the log is empty instead of drawing a blank list', async () => {
    harness = await startApp([]);
    // Only the watch marker is in the log: no paths.
    expect(harness.frame()).toContain('The log is empty');
    const store = await openStore(harness.logDir, { readOnly: true, workers: 0 });
    expect((await store.catalog()).paths()).toEqual([]);
    await store.close();
  });
});
