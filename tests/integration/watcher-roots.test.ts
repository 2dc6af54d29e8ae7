// Several roots in one log: each named by its basename (de-duplicated), each with its own state; a root that
// disappears is reported (WatchError) and the others go on; the log's own directory is never recorded.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WatchError } from '../../src/errors.js';
import { AppendOnlyLogWatcher, type WatcherChange } from '../../src/watcher/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

describe('watcher with several roots', () => {
  it('names same-basename roots apart, keeps names across runs, and survives a root vanishing', async () => {
    const dir = await makeTmpDir();
    const first = join(dir, 'a', 'data');
    const second = join(dir, 'b', 'data');
    await mkdir(first, { recursive: true });
    await mkdir(second, { recursive: true });
    await writeFile(join(first, 'x.txt'), 'first');
    await writeFile(join(second, 'x.txt'), 'second');
    // The log lives inside the first root: it must never be recorded.
    const logPath = join(first, '.synclog');
    const watcher = new AppendOnlyLogWatcher({ watchPaths: [first, second], logPath, debounceMs: 30 });
    const changes: WatcherChange[] = [];
    const errors: Error[] = [];
    watcher.on('version', (c) => changes.push(c));
    watcher.on('error', (e) => errors.push(e));
    await watcher.start();
    await watcher.flush();
    expect(changes.map((c) => c.display).sort()).toEqual(['data-2/x.txt', 'data/x.txt']);

    await rm(second, { recursive: true });
    await waitFor(() => errors.some((e) => e instanceof WatchError && e.details.reason === 'root-missing'), 'root-missing error');
    await writeFile(join(first, 'y.txt'), 'still watched');
    await waitFor(() => changes.some((c) => c.display === 'data/y.txt'), 'the other root goes on');
    expect(watcher.getStats().roots.map((r) => [r.name, r.state])).toEqual([
      ['data', 'watching'],
      ['data-2', 'failed'],
    ]);
    // A vanished root is not "everything deleted": its history stays as it was.
    expect(changes.some((c) => c.change === 'deleted')).toBe(false);
    await watcher.stop();
    expect(changes.some((c) => c.display.includes('.synclog'))).toBe(false);

    // A later run names the directories the same way, whatever order they come in.
    await mkdir(second, { recursive: true });
    const again = new AppendOnlyLogWatcher({ watchPaths: [second, first], logPath, initialScan: false });
    await again.start();
    expect(again.getStats().roots.map((r) => [r.name, r.path])).toEqual([
      ['data-2', second],
      ['data', first],
    ]);
    const history = await again.getFileHistory('data-2/x.txt');
    expect(history.map((h) => h.event)).toEqual(['created']);
    await again.stop();
  });
});

describe('watcher root checks', () => {
  it('refuses nested roots and treats two spellings of one directory as one root', async () => {
    const dir = await makeTmpDir();
    await mkdir(join(dir, 'outer', 'inner'), { recursive: true });
    const nested = new AppendOnlyLogWatcher({ watchPaths: [join(dir, 'outer'), join(dir, 'outer', 'inner')], logPath: join(dir, 'log') });
    await expect(nested.start()).rejects.toMatchObject({ code: 'SYNCLOG_USAGE', operation: 'start' });
    const { symlink } = await import('node:fs/promises');
    await symlink(join(dir, 'outer'), join(dir, 'alias'));
    const same = new AppendOnlyLogWatcher({ watchPaths: [join(dir, 'outer'), join(dir, 'alias')], logPath: join(dir, 'log'), initialScan: false });
    await same.start();
    expect(same.getStats().roots.map((r) => r.name)).toEqual(['outer']);
    await same.stop();
  });
});

describe('watcher lifecycle', () => {
  it('a stop during start waits for it, and a second start is refused', async () => {
    const dir = await makeTmpDir();
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'f.txt'), 'f');
    const watcher = new AppendOnlyLogWatcher({ watchPath: join(dir, 'data'), logPath: join(dir, 'log') });
    const started = watcher.start();
    await watcher.stop();
    await started;
    expect(watcher.getStats()).toMatchObject({ created: 1, roots: [{ name: 'data', state: 'stopped' }] });
    await expect(watcher.start()).rejects.toMatchObject({ code: 'SYNCLOG_CLOSED' });
    await expect(watcher.getFileHistory('data/f.txt')).rejects.toMatchObject({ code: 'SYNCLOG_CLOSED' });
  });
});
