// chokidar's directory re-read without a stat per entry (watcher.ts listDirectoriesWithoutStats): the internal it
// wraps must still exist in the chokidar we ship (else an upgrade silently brings back O(entries) lstats per event),
// and with it new directories, nested ones included, are still found and watched, while files get no watcher.
import { watch as chokidarWatch } from 'chokidar';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDirectoriesWithoutStats } from '../../../src/watcher/watcher.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';


describe('chokidar directory listing without stats', () => {
  it('applies to the chokidar in use, and new (nested) directories are still found while files get no watcher', async () => {
    const root = await makeTmpDir();
    await mkdir(join(root, 'old'));
    await writeFile(join(root, 'old', 'a.txt'), 'a');
    const watcher = chokidarWatch(root, {
      ignoreInitial: true,
      ignorePermissionErrors: true,
      ignored: (_path: string, stats?: { isDirectory(): boolean }) => stats !== undefined && !stats.isDirectory(),
    });
    expect(listDirectoriesWithoutStats(watcher)).toBe(true);
    const addedDirs: string[] = [];
    const fileEvents: string[] = [];
    const rawNames: string[] = [];
    watcher.on('addDir', (path) => addedDirs.push(path));
    watcher.on('add', (path) => fileEvents.push(path));
    watcher.on('raw', (_event, name) => rawNames.push(String(name)));
    try {
      await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
      await mkdir(join(root, 'new', 'deeper'), { recursive: true });
      await waitFor(() => addedDirs.includes(join(root, 'new', 'deeper')), 'the nested directory to be added');
      await writeFile(join(root, 'new', 'deeper', 'b.txt'), 'b');
      await writeFile(join(root, 'old', 'c.txt'), 'c');
      await waitFor(() => rawNames.includes('b.txt') && rawNames.includes('c.txt'), 'raw events for b.txt and c.txt');
      expect(addedDirs).toContain(join(root, 'new'));
      expect(fileEvents).toEqual([]); // files are never chokidar-watched: names come from raw events
    } finally {
      await watcher.close();
    }
  });

  it('leaves something without the internal alone', () => {
    expect(listDirectoriesWithoutStats({})).toBe(false);
  });
});
