// The package's public entry point as a script author uses it: one import, a watcher that records, exports a
// version to an archive, and a second watcher's log that imports it and reads the same content back.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendOnlyLogWatcher, ClosedError, LogReceiver, openStore } from '../../src/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('library surface (src/index.ts)', () => {
  it('records, exports a version, imports it into another log, and refuses archive calls when stopped', async () => {
    const base = await makeTmpDir();
    const data = join(base, 'data');
    await mkdir(data);
    await writeFile(join(data, 'config.json'), '{"v":1}\n');

    const archive = join(base, 'one.tar.gz');
    {
      await using watcher = new AppendOnlyLogWatcher({ watchPath: data, logPath: join(base, 'a.synclog') });
      await watcher.start();
      await watcher.flush();
      const history = await watcher.getFileHistory('data/config.json');
      expect(history).toHaveLength(1);
      const exported = await watcher.exportArchive(history[0]!.versionId, archive);
      expect(exported.versions).toBe(1);
    }

    const other = join(base, 'other');
    await mkdir(other);
    const second = new AppendOnlyLogWatcher({ watchPath: other, logPath: join(base, 'b.synclog') });
    await second.start();
    const imported = await second.importArchive(archive);
    expect(imported.versions).toBe(1);
    const again = await second.importArchive(archive);
    expect(again.versions).toBe(0);
    const history = await second.getFileHistory('data/config.json');
    expect(history.map((h) => h.event)).toEqual(['created']);
    await second.stop();
    await expect(second.exportArchive(history[0]!.versionId, join(base, 'x.tar.gz'))).rejects.toBeInstanceOf(ClosedError);

    // The imported version is readable through a receiver built from the same entry point.
    const mirror = join(base, 'mirror');
    const receiver = new LogReceiver({ logPath: join(base, 'b.synclog'), outputPath: mirror, mode: 'latest' });
    await receiver.catchUp();
    expect(await readFile(join(mirror, 'data', 'config.json'), 'utf8')).toBe('{"v":1}\n');
    const store = await openStore(join(base, 'b.synclog'), { readOnly: true });
    expect((await store.stats()).versions).toBeGreaterThanOrEqual(1);
    await store.close();
  });
});
