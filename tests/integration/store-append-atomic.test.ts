// appendAtomic (archive import): all records, chunks included, become visible together or not at all; the index and
// catalog learn of them only after the commit. refresh() picks up records another process appended.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogRecord, VersionRecord } from '../../src/record/index.js';
import { hashContent, openStore } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { childExit, collect, prng, spawnTsChild, versionOf } from '../unit/store/store-fixtures.js';

function importBatch(path: string, seed: number): { records: LogRecord[]; data: Uint8Array } {
  const data = prng(50 * 1024, seed);
  const id = hashContent(data);
  const chunk: LogRecord = { kind: 'chunk', id, codec: 'raw', size: data.length, data };
  const version = versionOf('imported', path, { contentId: id, chunks: [{ id, size: data.length }], size: data.length, newChunks: 1, newBytes: 0, storedBytes: 0 });
  return { records: [chunk, { ...version, event: 'imported' }], data };
}

describe('store appendAtomic', () => {
  it('makes chunks and versions visible together after the commit', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const store = await openStore(logDir, { workers: 0 });
    try {
      const catalog = await store.catalog();
      const { records, data } = importBatch('a.bin', 1);
      const stored = await store.appendAtomic((async function* () { yield* records; })());
      expect(stored.map((s) => s.record.kind)).toEqual(['chunk', 'version']);
      expect(store.hasChunk((records[0] as { id: Uint8Array }).id)).toBe(true);
      const latest = catalog.latest('imported', 'a.bin');
      expect(latest?.seq).toBe(stored[1]!.seq);
      expect((await collect(store.readContent((latest!.record as VersionRecord).chunks!))).equals(Buffer.from(data))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('leaves nothing behind when the source fails midway', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const store = await openStore(logDir, { workers: 0 });
    const { records } = importBatch('b.bin', 2);
    const catalog = await store.catalog();
    const before = await store.stats();
    await expect(
      store.appendAtomic((async function* () {
        yield records[0]!;
        throw new Error('archive truncated');
      })()),
    ).rejects.toThrow(/archive truncated/);
    expect(store.hasChunk((records[0] as { id: Uint8Array }).id)).toBe(false);
    expect(catalog.paths()).toEqual([]);
    expect((await store.stats()).records).toBe(before.records);
    await store.close();
    const reopened = await openStore(logDir, { readOnly: true });
    expect((await reopened.stats()).records).toBe(before.records);
    expect(reopened.hasChunk((records[0] as { id: Uint8Array }).id)).toBe(false);
    await reopened.close();
  });

  it('refresh() picks up versions another process appended', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    const seed = await openStore(logDir, { workers: 0 });
    await seed.close();
    const reader = await openStore(logDir, { readOnly: true });
    try {
      const catalog = await reader.catalog();
      expect(catalog.paths()).toEqual([]);
      const child = spawnTsChild(dir, 'writer', `
        import { openStore } from STORE;
        const store = await openStore(process.argv[2], { workers: 0 });
        const data = new TextEncoder().encode('hello from another process');
        const content = await store.ingestStream((async function* () { yield data; })());
        const now = Date.now();
        await store.appendRecords([{ kind: 'version', versionId: now.toString(16).padStart(12, '0') + 'abcdef01', time: now, root: 'r',
          path: 'hello.txt', type: 'file', event: 'created', size: content.size, mtimeMs: now, mode: 420, uid: 0, gid: 0,
          contentId: content.contentId, chunks: content.chunks }]);
        await store.close();
      `, [logDir]);
      const result = await childExit(child);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await catalog.refresh()).toBe(1);
      const latest = catalog.latest('r', 'hello.txt')!;
      const text = await collect(reader.readContent((latest.record as VersionRecord).chunks!));
      expect(text.toString()).toBe('hello from another process');
      expect(await catalog.refresh()).toBe(0);
    } finally {
      await reader.close();
    }
  });
});
