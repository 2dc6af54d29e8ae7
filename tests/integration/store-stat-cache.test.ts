// A rescan of an unchanged tree is answered entirely by the persisted stat cache: no file is opened or read (the
// store's read counters do not move). A changed file misses and is read again. 2,000 files: the rule does not depend
// on the count, and the 10,000-file scale is covered through the CLI (tests/e2e/cli-snapshot.test.ts).
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INGEST_COUNTERS, openStore, type Store } from '../../src/store/index.js';
import { LIMITS } from '../../src/util/limits.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { versionOf } from '../unit/store/store-fixtures.js';

const FILES = 2_000;
const BATCH = 500;

/**
 * A scan as the watcher does it: stat, ask the cache, ingest on a miss; a batch's versions go in one append.
 * Returns how many files it ingested.
 */
async function scan(store: Store, root: string, dir: string): Promise<number> {
  const names = (await readdir(dir)).sort();
  let ingested = 0;
  for (let at = 0; at < names.length; at += BATCH) {
    const versions = await Promise.all(
      names.slice(at, at + BATCH).map(async (name) => {
        const info = await stat(join(dir, name));
        const key = { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
        if (store.statCache.get(root, name, key)) return undefined;
        const content = await store.ingestFile(join(dir, name));
        store.statCache.set(root, name, content.stat, content);
        ingested++;
        return versionOf(root, name, content);
      }),
    );
    const batch = versions.filter((v) => v !== undefined);
    if (batch.length > 0) await store.appendRecords(batch);
  }
  return ingested;
}

describe('stat cache rescan', () => {
  it('reads no file contents for an unchanged 2,000-file tree', async () => {
    const base = await makeTmpDir();
    const tree = join(base, 'tree');
    await mkdir(tree);
    for (let i = 0; i < FILES; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => writeFile(join(tree, `file-${String(i + j).padStart(5, '0')}.txt`), `content of file ${i + j}\n`)));
    }
    // Files changed within the racy window before they were read are never trusted: let their ctime age first.
    await new Promise((resolve) => setTimeout(resolve, LIMITS.statCacheRacyWindowMs + 100));
    const logDir = join(base, 'log');

    const first = await openStore(logDir, { workers: 0 });
    expect(await scan(first, 'r', tree)).toBe(FILES);
    await first.close(); // saves the stat cache

    const filesBefore = INGEST_COUNTERS.filesRead;
    const bytesBefore = INGEST_COUNTERS.bytesRead;
    const second = await openStore(logDir, { workers: 0 });
    try {
      expect(second.statCache.loadProblem).toBeUndefined();
      expect(await scan(second, 'r', tree)).toBe(0);
      expect(INGEST_COUNTERS.filesRead).toBe(filesBefore);
      expect(INGEST_COUNTERS.bytesRead).toBe(bytesBefore);

      await writeFile(join(tree, 'file-00042.txt'), 'changed!\n');
      expect(await scan(second, 'r', tree)).toBe(1);
      expect(INGEST_COUNTERS.filesRead).toBe(filesBefore + 1);
      expect((await second.stats()).versions).toBe(FILES + 1);
    } finally {
      await second.close();
    }
  });
});
