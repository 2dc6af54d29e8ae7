// The index and the catalog stay exact while appends are in flight: a catalog loaded mid-burst ends up with every
// version; a checkpoint taken mid-ingest never claims a chunk it does not hold (after reopen, every chunk reads).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type IngestedContent } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, versionOf } from '../unit/store/store-fixtures.js';

describe('store under concurrent appends', () => {
  it('a catalog loaded during a burst of appends sees every version without refresh', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const store = await openStore(logDir, { workers: 0 });
    try {
      const content = await store.ingestStream((async function* () { yield prng(1000, 1); })());
      const appends = Array.from({ length: 300 }, (_, i) => store.appendRecords([versionOf('r', `f${i}`, content)]));
      const catalog = await store.catalog();
      await Promise.all(appends);
      expect(catalog.paths().length).toBe(300);
      expect(catalog.nextSeq).toBe(302); // the log's params record, the chunk, 300 versions
    } finally {
      await store.close();
    }
  });

  it('checkpoints taken while ingests run cover only what is indexed', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const store = await openStore(logDir, { workers: 2 });
    const contents: IngestedContent[] = [];
    try {
      const ingests = Array.from({ length: 12 }, async (_, i) => {
        const content = await store.ingestStream((async function* () { yield prng(400 * 1024, 100 + i); })());
        contents[i] = content;
        await store.appendRecords([versionOf('r', `f${i}`, content)]);
      });
      const checkpoints = Array.from({ length: 6 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 15));
        await store.checkpoint();
      });
      await Promise.all([...ingests, ...checkpoints]);
    } finally {
      // Keep the last mid-run checkpoint as the process left it: no close() checkpoint over it.
      await store['log'].close();
    }
    const reopened = await openStore(logDir, { workers: 0, readOnly: true });
    try {
      expect(reopened.indexReport.source).toBe('checkpoint');
      for (const [i, content] of contents.entries()) {
        expect((await collect(reopened.readContent(content.chunks))).equals(Buffer.from(prng(400 * 1024, 100 + i)))).toBe(true);
      }
      expect((await reopened.verify()).ok).toBe(true);
    } finally {
      await reopened.close();
    }
  });
});
