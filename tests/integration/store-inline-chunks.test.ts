// Files larger than ingestInlineBytesMax chunked on the calling thread (no worker pool, or before it starts): their
// chunks are views into pooled read blocks and the chunker's carry buffer, lent to storeChunk and read into again
// right after. Whatever was compressed from the view or copied to be kept raw must read back exact.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, textLike, versionOf } from '../unit/store/store-fixtures.js';

/** Segments of random (stored raw) and text (compressed) bytes, so both kinds of chunk cross block boundaries. */
function mixed(bytes: number, seed: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let at = 0, i = 0; at < bytes; i++) {
    const length = Math.min(bytes - at, 200_000 + ((seed * 7919 + i * 104_729) % 300_000));
    data.set(i % 2 === 0 ? prng(length, seed * 100 + i) : textLike(length, seed * 100 + i), at);
    at += length;
  }
  return data;
}

describe('store inline chunking', () => {
  it.each([0, 2])('lends read blocks to compression: files of several blocks read back exact after the blocks were reused (workers: %i)', async (workers) => {
    const dir = await makeTmpDir();
    const files: { path: string; data: Uint8Array }[] = [];
    for (let i = 0; i < 4; i++) {
      const data = mixed(2_500_000 + i * 333_333, i + 1);
      const path = join(dir, `f${i}`);
      await writeFile(path, data);
      files.push({ path, data });
    }
    const store = await openStore(join(dir, 'log'), { workers });
    try {
      // Two at a time: blocks one ingest hands back are read into by the other.
      const contents = [];
      for (let i = 0; i < files.length; i += 2) contents.push(...(await Promise.all(files.slice(i, i + 2).map((f) => store.ingestFile(f.path)))));
      await store.appendRecords(contents.map((content, i) => versionOf('r', `f${i}`, content)));
      const codecs = new Set<string>();
      for await (const entry of store.entries({ kinds: ['chunk'] })) if (entry.record.kind === 'chunk') codecs.add(entry.record.codec);
      expect([...codecs].sort()).toEqual(['raw', 'zstd']);
      for (let i = 0; i < files.length; i++) {
        expect(contents[i]!.size).toBe(files[i]!.data.length);
        expect((await collect(store.readContent(contents[i]!.chunks))).equals(Buffer.from(files[i]!.data))).toBe(true);
      }
    } finally {
      await store.close();
    }
  });
});
