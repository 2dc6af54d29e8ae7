// Who does the work of an ingest: a large file whose chunks are all stored (a re-snapshot after a small edit) is
// chunked on the calling thread and starts no worker; compression past the first few MiB starts the pool; chunks
// are the same whichever thread cut them (dedup across the two paths), and every file reads back identical.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { LIMITS } from '../../src/util/limits.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, textLike, versionOf } from '../unit/store/store-fixtures.js';

const MIB = 1024 * 1024;

describe('store ingest scheduling', () => {
  it('re-ingests an edited large file without starting workers, then starts them when compression needs them', async () => {
    const dir = await makeTmpDir();
    const small = textLike(LIMITS.compressInlineBytesBeforePool / 2, 5);
    await writeFile(join(dir, 'a.txt'), small);
    const store = await openStore(join(dir, 'log'), { workers: 2 });
    try {
      const first = await store.ingestFile(join(dir, 'a.txt'));
      expect(first.newChunks).toBeGreaterThan(1);
      expect(store.workersStarted).toBe(false); // under the inline compression budget
      // An edit in the middle: a couple of new chunks, the rest found in the index.
      const edited = Buffer.from(small);
      edited.fill(0x78, edited.length / 2, edited.length / 2 + 1024);
      await writeFile(join(dir, 'a.txt'), edited);
      const again = await store.ingestFile(join(dir, 'a.txt'));
      expect(again.newChunks).toBeGreaterThan(0);
      expect(again.newChunks).toBeLessThanOrEqual(3);
      expect(store.workersStarted).toBe(false);
      // More new, compressible bytes than the budget: the pool starts and takes the rest.
      const big = textLike(LIMITS.compressInlineBytesBeforePool + 2 * MIB, 9);
      await writeFile(join(dir, 'b.txt'), big);
      const b = await store.ingestFile(join(dir, 'b.txt'));
      expect(store.workersStarted).toBe(true);
      await store.appendRecords([versionOf('r', 'a.txt', again), versionOf('r', 'b.txt', b)]);
      expect((await collect(store.readContent(again.chunks))).equals(edited)).toBe(true); // .equals: toEqual walks MiB bytewise
      expect((await collect(store.readContent(b.chunks))).equals(big)).toBe(true);
      // Now cut by a worker session: the same chunks as the calling thread cut for a.txt, so nothing new.
      const third = await store.ingestFile(join(dir, 'a.txt'));
      expect(third.newChunks).toBe(0);
      expect(third.chunks).toEqual(again.chunks);
      expect(third.contentId).toEqual(again.contentId);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('cuts a file into the same chunks with workers as without (random data, several read blocks)', async () => {
    const dir = await makeTmpDir();
    const data = prng(3 * MIB + 777, 21);
    await writeFile(join(dir, 'r.bin'), data);
    const inline = await openStore(join(dir, 'log0'), { workers: 0 });
    const pooled = await openStore(join(dir, 'log2'), { workers: 2 });
    try {
      const warm = textLike(LIMITS.compressInlineBytesBeforePool + MIB, 2); // starts pooled's workers
      await writeFile(join(dir, 'warm.txt'), warm);
      await pooled.ingestFile(join(dir, 'warm.txt'));
      expect(pooled.workersStarted).toBe(true);
      const a = await inline.ingestFile(join(dir, 'r.bin'));
      const b = await pooled.ingestFile(join(dir, 'r.bin'));
      expect(b.chunks).toEqual(a.chunks);
      expect(b.contentId).toEqual(a.contentId);
      await pooled.appendRecords([versionOf('r', 'r.bin', b)]);
      expect((await collect(pooled.readContent(b.chunks))).equals(data)).toBe(true);
    } finally {
      await inline.close();
      await pooled.close();
    }
  }, 120_000);
});
