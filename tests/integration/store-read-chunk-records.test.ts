// Store.readChunkRecords (what the server answers POST /v1/chunks with): the records of many chunks in the order
// asked, each exactly what readChunkRecord gives, with a missing chunk and a damaged one failing in their places
// only, with readChunkRecord's errors.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, NotFoundError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { flipByte } from '../helpers/corrupt.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { versionOf } from '../unit/store/store-fixtures.js';

describe('Store.readChunkRecords', () => {
  it('gives each chunk as readChunkRecord does, in the order asked; a missing or damaged one fails alone', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    // Text compresses (the hint over-reads), random does not (the hint is nearly exact): both kinds side by side.
    await writeFile(join(dir, 'a.bin'), randomBytes(600 * 1024));
    await writeFile(join(dir, 'b.txt'), Buffer.from('synclog chunk records '.repeat(30_000)));
    const writer = await openStore(logDir, { workers: 0 });
    const ingested = [await writer.ingestFile(join(dir, 'a.bin')), await writer.ingestFile(join(dir, 'b.txt'))];
    await writer.appendRecords(ingested.map((content, i) => versionOf('r', `f${i}`, content)));
    await writer.close();
    const ids = ingested.flatMap((content) => content.chunks.map((chunk) => chunk.id));
    expect(ids.length).toBeGreaterThan(4);
    const store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
    try {
      const asked = [...ids].reverse().concat([ids[1]!, new Uint8Array(32)]);
      const got = await store.readChunkRecords(asked);
      for (const [i, id] of asked.entries()) {
        const result = got[i]!;
        if (i === asked.length - 1) {
          expect('error' in result && result.error).toBeInstanceOf(NotFoundError);
          continue;
        }
        const one = await store.readChunkRecord(id);
        expect('error' in result).toBe(false);
        expect((result as { tag: number }).tag).toBe(one.tag);
        expect(Buffer.from((result as { payload: Uint8Array }).payload).equals(Buffer.from(one.payload))).toBe(true);
      }
    } finally {
      await store.close();
    }
  });

  it('fails a damaged chunk with the error readChunkRecord gives, and still gives its neighbours', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    await writeFile(join(dir, 'a.bin'), randomBytes(600 * 1024));
    const writer = await openStore(logDir, { workers: 0 });
    const content = await writer.ingestFile(join(dir, 'a.bin'));
    await writer.appendRecords([versionOf('r', 'a.bin', content)]);
    await writer.close();
    const ids = content.chunks.map((chunk) => chunk.id);
    const reader = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
    const where = (await reader.locateChunks(content.chunks))[1]!;
    await reader.close();
    await flipByte(join(logDir, where.segment), where.offset + 100);
    const store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
    try {
      const got = await store.readChunkRecords(ids);
      const expected = await store.readChunkRecord(ids[1]!).catch((error: unknown) => error);
      expect(expected).toBeInstanceOf(CorruptionError);
      expect('error' in got[1]! && got[1].error).toBeInstanceOf(CorruptionError);
      expect((got[1] as { error: CorruptionError }).error.message).toBe((expected as CorruptionError).message);
      for (const [i, result] of got.entries()) if (i !== 1) expect('error' in result).toBe(false);
    } finally {
      await store.close();
    }
  });
});
