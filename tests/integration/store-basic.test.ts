// The store over a real log in a temp dir: ingest, dedup, read back, catalog, stats, reopen.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VersionRecord } from '../../src/record/index.js';
import { openStore, hashContent } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { versionOf } from '../unit/store/store-fixtures.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}


describe('store over a real log', () => {
  it('ingests a file, reads it back, and dedups a second copy', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    const data = randomBytes(700 * 1024);
    await writeFile(join(dir, 'a.bin'), data);
    const store = await openStore(logDir, { workers: 2 });
    try {
      const first = await store.ingestFile(join(dir, 'a.bin'));
      expect(first.size).toBe(data.length);
      expect(Buffer.from(first.contentId)).toEqual(Buffer.from(hashContent(data)));
      expect(first.newChunks).toBe(first.chunks.length);
      expect(first.chunks.length).toBeGreaterThan(1);
      await store.appendRecords([versionOf('r', 'a.bin', first)]);
      const second = await store.ingestStream((async function* () { yield data; })());
      expect(second.newChunks).toBe(0);
      expect((await collect(store.readContent(first.chunks))).equals(data)).toBe(true);
      const catalog = await store.catalog();
      expect(catalog.paths().map((p) => p.display)).toEqual(['r/a.bin']);
      const stats = await store.stats();
      expect(stats).toMatchObject({ versions: 1, paths: 1, chunks: first.chunks.length, logicalBytes: data.length, uniqueBytes: data.length });
    } finally {
      await store.close();
    }
    const again = await openStore(logDir, { workers: 1 });
    try {
      expect(again.indexReport).toEqual({ source: 'checkpoint', scannedRecords: 0 });
      const catalog = await again.catalog();
      const latest = catalog.latest('r', 'a.bin');
      expect(latest?.record.kind).toBe('version');
      const chunks = (latest!.record as VersionRecord).chunks!;
      expect((await collect(again.readContent(chunks))).equals(data)).toBe(true);
    } finally {
      await again.close();
    }
  });
});
