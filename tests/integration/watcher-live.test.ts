// AppendOnlyLogWatcher on real files, real chokidar and a real store: every kind of change becomes the right
// records, only after they are durable, and history/restore read them back.
import { chmod, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The library surface's watcher: restoreVersion joins the receiver's restore service on at the top (src/index.ts).
import { AppendOnlyLogWatcher, type WatcherChange } from '../../src/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

async function setup(options: { exclude?: string[]; renameWindowMs?: number } = {}) {
  const dir = await makeTmpDir();
  const data = join(dir, 'data');
  await mkdir(data);
  const watcher = new AppendOnlyLogWatcher({ watchPath: data, logPath: join(dir, 'data.synclog'), debounceMs: 50, ...options });
  const changes: WatcherChange[] = [];
  const errors: Error[] = [];
  watcher.on('version', (c) => changes.push(c));
  watcher.on('error', (e) => errors.push(e));
  return { dir, data, watcher, changes, errors };
}

const seen = (changes: WatcherChange[], change: string, display: string) => changes.some((c) => c.change === change && c.display === display);

describe('AppendOnlyLogWatcher (live)', () => {
  it('a name with a backslash is refused once, not at every later batch that meets it again', async () => {
    const { data, watcher, changes, errors } = await setup();
    await using _ = watcher;
    await writeFile(join(data, 'a\\b.txt'), 'x');
    await watcher.start();
    // Each write makes a batch, and activity in the folder makes the watcher list it again (where the name is met anew).
    for (let i = 0; i < 6; i++) {
      await writeFile(join(data, `f${i}.txt`), String(i));
      await waitFor(() => seen(changes, 'created', `data/f${i}.txt`), `f${i}.txt`);
    }
    await writeFile(join(data, 'a\\b.txt'), 'y');
    await writeFile(join(data, 'last.txt'), 'z');
    await waitFor(() => seen(changes, 'created', 'data/last.txt'), 'last.txt');
    await watcher.flush();
    const refusals = errors.filter((e) => (e as { code?: string }).code === 'SYNCLOG_UNSAFE_PATH');
    expect(refusals.map((e) => (e as { details?: { reason?: string } }).details?.reason)).toEqual(['backslash']);
    expect(errors).toHaveLength(1); // nothing else: no "malformed record" refusal from the store at a later batch
    expect(changes.some((c) => c.display.includes('\\'))).toBe(false);
  });

  it('records create, modify, delete, rename, move, empty dirs and symlinks', async () => {
    // What is checked is that a move pairs, not how short the window may be: with the window at the 50 ms debounce,
    // a loaded CI machine once delivered the move's two events further apart, and it was recorded as a delete and a
    // create (correct history, but not the one this test waits for).
    const { data, watcher, changes, errors } = await setup({ renameWindowMs: 1000 });
    await using _ = watcher;
    await watcher.start();
    await writeFile(join(data, 'a.txt'), 'one');
    await mkdir(join(data, 'empty'));
    await mkdir(join(data, 'sub'));
    await symlink('a.txt', join(data, 'link'));
    await waitFor(() => seen(changes, 'created', 'data/a.txt') && seen(changes, 'created', 'data/link') && seen(changes, 'created', 'data/sub'), 'creates');
    await writeFile(join(data, 'a.txt'), 'two');
    await waitFor(() => seen(changes, 'modified', 'data/a.txt'), 'modify');
    await rename(join(data, 'a.txt'), join(data, 'b.txt'));
    const changesSoFar = () => changes.map((c) => `${c.change} ${c.display}`);
    await waitFor(() => seen(changes, 'renamed', 'data/b.txt'), 'rename', undefined, undefined, changesSoFar);
    await rename(join(data, 'b.txt'), join(data, 'sub', 'b.txt'));
    await waitFor(() => seen(changes, 'renamed', 'data/sub/b.txt'), 'move', undefined, undefined, changesSoFar);
    await rm(join(data, 'link'));
    await waitFor(() => seen(changes, 'deleted', 'data/link'), 'delete');
    await watcher.flush();

    const empty = changes.find((c) => c.display === 'data/empty')!;
    expect(empty.type).toBe('dir');
    expect(changes.find((c) => c.display === 'data/link')!.type).toBe('symlink');
    const move = changes.find((c) => c.display === 'data/sub/b.txt')!;
    expect(move.renamedFrom).toBe('b.txt');
    // A move is one change for listeners (no separate 'deleted' for its old path).
    expect(changes.some((c) => c.change === 'deleted' && c.display === 'data/b.txt')).toBe(false);

    const history = await watcher.getFileHistory('data/a.txt');
    expect(history.map((h) => h.event)).toEqual(['created', 'modified', 'deleted']);
    expect(history[2]).toMatchObject({ renamedTo: 'data/b.txt' });
    const link = await watcher.getFileHistory('link'); // relative to the only root
    expect(link[0]).toMatchObject({ type: 'symlink', target: 'a.txt' });
    expect(history[0]!.owner?.uid).toBe(process.getuid!());
    expect(errors).toEqual([]);
    const stats = watcher.getStats();
    expect(stats).toMatchObject({ renamed: 2, deleted: 1, errors: 0 });
  });

  it('skips saves that do not change content and honours excludes', async () => {
    const { data, watcher, changes } = await setup({ exclude: ['*.tmp', 'node_modules'] });
    await writeFile(join(data, '.synclogignore'), 'secret/\n');
    await watcher.start();
    await writeFile(join(data, 'c.txt'), 'same');
    await waitFor(() => seen(changes, 'created', 'data/c.txt'), 'create');
    await writeFile(join(data, 'c.txt'), 'same');
    await mkdir(join(data, 'node_modules'));
    await writeFile(join(data, 'node_modules', 'x.js'), 'x');
    await mkdir(join(data, 'secret'));
    await writeFile(join(data, 'secret', 'key'), 'k');
    await writeFile(join(data, 'junk.tmp'), 'j');
    await writeFile(join(data, 'marker.txt'), 'm');
    await waitFor(() => seen(changes, 'created', 'data/marker.txt'), 'marker');
    await waitFor(() => watcher.getStats().duplicatesSkipped >= 1, 'duplicate skipped');
    await watcher.stop();
    const displays = changes.map((c) => c.display);
    expect(displays.filter((d) => d === 'data/c.txt')).toHaveLength(1);
    expect(displays.some((d) => d.includes('node_modules') || d.includes('secret') || d.endsWith('.tmp'))).toBe(false);
  });

  it('restores a version atomically with mode and mtime, recorded as "restored"', async () => {
    const { dir, data, watcher, changes } = await setup();
    await watcher.start();
    const file = join(data, 'config.json');
    await writeFile(file, '{"v":1}');
    await chmod(file, 0o600);
    await waitFor(() => seen(changes, 'created', 'data/config.json'), 'create');
    await writeFile(file, '{"v":2}');
    await waitFor(() => seen(changes, 'modified', 'data/config.json'), 'modify');
    const history = await watcher.getFileHistory('data/config.json');
    const elsewhere = join(dir, 'config.restored.json');
    await watcher.restoreVersion('data/config.json', history[0]!.versionId, elsewhere);
    expect(await readFile(elsewhere, 'utf8')).toBe('{"v":1}');
    const info = await stat(elsewhere);
    expect(info.mode & 0o777).toBe(0o600);
    expect(Math.abs(info.mtimeMs - history[0]!.mtime!)).toBeLessThan(2);
    await watcher.restoreVersion('data/config.json', history[0]!.versionId, file);
    await waitFor(() => seen(changes, 'restored', 'data/config.json'), 'restored version');
    await expect(watcher.restoreVersion('data/config.json', 'ffffffffffffffffffff', elsewhere)).rejects.toMatchObject({ code: 'SYNCLOG_NOT_FOUND' });
    await mkdir(join(data, 'd'));
    await waitFor(() => seen(changes, 'created', 'data/d'), 'dir');
    const dirVersion = (await watcher.getFileHistory('data/d'))[0]!;
    // A folder version restores the folder itself (docs/receiver.md "Restore"); over a file it is refused.
    await watcher.restoreVersion('data/d', dirVersion.versionId, join(dir, 'x'));
    expect((await stat(join(dir, 'x'))).isDirectory()).toBe(true);
    await expect(watcher.restoreVersion('data/d', dirVersion.versionId, elsewhere)).rejects.toMatchObject({ code: 'SYNCLOG_USAGE' });
    await watcher.stop();
  });

  it('never records a torn write: 100 rapid self-checking rewrites, last one recorded is the final content', async () => {
    const { data, watcher, changes } = await setup();
    await watcher.start();
    const file = join(data, 'rapid.txt');
    const body = (i: number) => {
      const payload = `rewrite ${i} `.repeat(2000 + i * 37);
      return `${payload.length}:${payload}`;
    };
    for (let i = 0; i < 100; i++) await writeFile(file, body(i));
    await waitFor(async () => (await watcher.getFileHistory('data/rapid.txt').catch(() => [])).at(-1)?.size === body(99).length, 'final version');
    await watcher.stop();
    const { openStore } = await import('../../src/store/index.js');
    const store = await openStore(watcher.options.logPath, { readOnly: true, workers: 0 });
    try {
      const catalog = await store.catalog();
      const versions = catalog.history('data', 'rapid.txt');
      for (const v of versions) {
        if (v.record.kind !== 'version') continue;
        const parts: Uint8Array[] = [];
        for await (const piece of store.readContent(v.record.chunks!)) parts.push(piece);
        const text = Buffer.concat(parts).toString();
        const [length, payload] = [Number(text.slice(0, text.indexOf(':'))), text.slice(text.indexOf(':') + 1)];
        expect(payload.length).toBe(length); // self-check: not torn
      }
      const last = versions.at(-1)!.record;
      expect(last.kind === 'version' && last.size).toBe(body(99).length);
    } finally {
      await store.close();
    }
    expect(changes.length).toBeGreaterThan(0);
  });
});

describe('AppendOnlyLogWatcher (folders)', () => {
  it('records a folder moved whole as renames, and a folder deleted whole as deletes', async () => {
    const { data, watcher, changes } = await setup({ renameWindowMs: 1000 }); // see the first test: pairing, not the window
    await mkdir(join(data, 'src', 'deep'), { recursive: true });
    await writeFile(join(data, 'src', 'a.txt'), 'alpha');
    await writeFile(join(data, 'src', 'deep', 'b.txt'), 'beta');
    await watcher.start();
    await watcher.flush();
    expect(changes).toHaveLength(4);
    await rename(join(data, 'src'), join(data, 'lib'));
    await waitFor(() => changes.filter((c) => c.change === 'renamed').length >= 4, 'four renames');
    await watcher.flush();
    expect(changes.filter((c) => c.change === 'renamed').map((c) => `${c.renamedFrom} → ${c.path}`).sort()).toEqual([
      'src → lib',
      'src/a.txt → lib/a.txt',
      'src/deep → lib/deep',
      'src/deep/b.txt → lib/deep/b.txt',
    ]);
    await rm(join(data, 'lib'), { recursive: true });
    await waitFor(() => changes.filter((c) => c.change === 'deleted').length >= 4, 'four deletes');
    await watcher.stop();
    expect(changes.filter((c) => c.change === 'deleted').map((c) => c.path).sort()).toEqual(['lib', 'lib/a.txt', 'lib/deep', 'lib/deep/b.txt']);
  });
});
