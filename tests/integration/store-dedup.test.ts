// Dedup over a real log: identical files are stored once; an edit in the middle of a large file adds few chunks.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, textLike, versionOf } from '../unit/store/store-fixtures.js';

describe('store dedup', () => {
  it('stores 100 copies of the same file under different names once', async () => {
    const dir = await makeTmpDir();
    const data = textLike(300 * 1024, 3);
    for (let i = 0; i < 100; i++) await writeFile(join(dir, `copy-${i}.txt`), data);
    const store = await openStore(join(dir, 'log'), { workers: 1 });
    try {
      const first = await store.ingestFile(join(dir, 'copy-0.txt'));
      await store.appendRecords([versionOf('r', 'copy-0.txt', first)]);
      const afterFirst = await store.stats();
      for (let i = 1; i < 100; i++) {
        const again = await store.ingestFile(join(dir, `copy-${i}.txt`));
        expect(again.newChunks).toBe(0);
        expect(again.contentId).toEqual(first.contentId);
        await store.appendRecords([versionOf('r', `copy-${i}.txt`, again)]);
      }
      const stats = await store.stats();
      expect(stats.chunks).toBe(first.chunks.length);
      expect(stats.uniqueBytes).toBe(data.length);
      expect(stats.logicalBytes).toBe(100 * data.length);
      expect(stats.paths).toBe(100);
      // Only the 99 small version records were added after the first copy: far less than one more copy.
      expect(stats.storedBytes - afterFirst.storedBytes).toBeLessThan(99 * 1024);
      expect(first.storedBytes).toBeLessThan(data.length / 2); // text compresses
    } finally {
      await store.close();
    }
  });

  it('adds at most 3 chunks for 1 KiB inserted in the middle of a 10 MiB file', async () => {
    const dir = await makeTmpDir();
    const data = prng(10 * 1024 * 1024, 11);
    const edited = Buffer.concat([data.subarray(0, 5 * 1024 * 1024), prng(1024, 12), data.subarray(5 * 1024 * 1024)]);
    await writeFile(join(dir, 'big.bin'), data);
    const store = await openStore(join(dir, 'log'), { workers: 2 });
    try {
      const v1 = await store.ingestFile(join(dir, 'big.bin'));
      expect(v1.newChunks).toBe(v1.chunks.length);
      await writeFile(join(dir, 'big.bin'), edited);
      const v2 = await store.ingestFile(join(dir, 'big.bin'));
      expect(v2.newChunks).toBeGreaterThan(0);
      expect(v2.newChunks).toBeLessThanOrEqual(3);
      expect(v2.size).toBe(edited.length);
      expect((await collect(store.readContent(v2.chunks))).equals(edited)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
