// Reading content from the chunk window of a sequential pass (entries({ trackChunks })) and with the index built on
// demand (indexOnDemand): the receiver's read path. Same bytes, same checks; the index is built only on a miss.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type IngestedContent } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, textLike, versionOf } from '../unit/store/store-fixtures.js';

async function writeLog(logDir: string, files: Uint8Array[]): Promise<IngestedContent[]> {
  const store = await openStore(logDir, { workers: 0 });
  try {
    const contents: IngestedContent[] = [];
    for (const [i, data] of files.entries()) {
      const content = await store.ingestStream((async function* () {
        yield data;
      })());
      await store.appendRecords([versionOf('root', `f${i}.bin`, content)]);
      contents.push(content);
    }
    return contents;
  } finally {
    await store.close();
  }
}

describe('store read window', () => {
  it('serves the versions of a pass from the chunks it passed, without building the index', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const files = [textLike(400 * 1024, 1), prng(300 * 1024, 2), textLike(90 * 1024, 3)];
    await writeLog(logDir, files);
    const reader = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
    try {
      const read: Buffer[] = [];
      for await (const stored of reader.entries({ kinds: ['version'], trackChunks: true })) {
        if (stored.record.kind === 'version') read.push(await collect(reader.readContent(stored.record.chunks ?? [])));
      }
      expect(read).toEqual(files.map((data) => Buffer.from(data)));
      expect(reader.indexMemory().chunks).toBe(0); // every chunk came from the window: no index was loaded
    } finally {
      await reader.close();
    }
  });

  it('builds the index on demand for a chunk outside the window (stored long before, deduplicated)', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const shared = prng(200 * 1024, 7);
    const [first] = await writeLog(logDir, [shared]);
    const reader = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
    try {
      expect(reader.indexMemory().chunks).toBe(0); // nothing loaded at open
      // No pass kept anything: the read must find the chunks through the index (checkpoint + scan), loaded now.
      expect(await collect(reader.readContent(first!.chunks))).toEqual(Buffer.from(shared));
      expect(reader.indexMemory().chunks).toBe(first!.chunks.length);
      expect((await reader.stats()).chunks).toBe(first!.chunks.length);
    } finally {
      await reader.close();
    }
  });
});
