// Small files (at most chunkBytesMin) take the one-read path: hashed on the calling thread, no chunker; compressed by
// the worker pool when there is one (on the calling thread without workers).
// They must give exactly what the chunking path gives for the same bytes (same content id, one chunk whose id is
// the content id, none for an empty file), read back intact, and keep the write order: an ingest resolves once its
// chunk is queued, so a version appended after it (even one whose chunk a concurrent ingest appended) follows the
// chunk in the log.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentIdHex } from '../../src/record/index.js';
import { openStore } from '../../src/store/index.js';
import { LIMITS } from '../../src/util/limits.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, textLike, versionOf } from '../unit/store/store-fixtures.js';

describe('store small files', () => {
  it.each([0, 2])('match the chunking path at every size around chunkBytesMin and read back (workers: %i)', async (workers) => {
    const dir = await makeTmpDir();
    const store = await openStore(join(dir, 'log'), { workers });
    try {
      const sizes = [0, 1, 205, 511, 512, 4096, LIMITS.chunkBytesMin - 1, LIMITS.chunkBytesMin, LIMITS.chunkBytesMin + 1];
      for (const [i, size] of sizes.entries()) {
        const data = i % 2 === 0 ? textLike(size, i + 1) : prng(size, i + 1);
        const file = join(dir, `f${size}.bin`);
        await writeFile(file, data);
        const viaFile = await store.ingestFile(file);
        // Text-like content of a few KiB is stored deflated, whichever thread compressed it; random bytes raw.
        if (size >= 4096) expect(viaFile.storedBytes < viaFile.newBytes).toBe(i % 2 === 0);
        // The synchronous small-file read (sizeHint) gives the same content; a hint below the real size falls back.
        const viaHint = await store.ingestFile(file, { sizeHint: Math.min(size, LIMITS.chunkBytesMin) });
        expect(contentIdHex(viaHint.contentId)).toBe(contentIdHex(viaFile.contentId));
        expect(viaHint.stat).toMatchObject({ size, ino: viaFile.stat.ino, mtimeMs: viaFile.stat.mtimeMs });
        const viaStream = await store.ingestStream((async function* () {
          yield data;
        })());
        expect(viaFile.size).toBe(size);
        expect(viaFile.stat.size).toBe(size);
        expect(contentIdHex(viaFile.contentId)).toBe(contentIdHex(viaStream.contentId));
        expect(viaFile.chunks.map((c) => [contentIdHex(c.id), c.size])).toEqual(viaStream.chunks.map((c) => [contentIdHex(c.id), c.size]));
        if (size > 0 && size <= LIMITS.chunkBytesMin) {
          expect(viaFile.chunks).toHaveLength(1);
          expect(contentIdHex(viaFile.chunks[0]!.id)).toBe(contentIdHex(viaFile.contentId));
        }
        if (size === 0) expect(viaFile.chunks).toEqual([]);
        expect(viaStream.newChunks).toBe(0); // the file's ingest stored them
        await store.appendRecords([versionOf('r', `f${size}.bin`, viaFile)]);
        expect((await collect(store.readContent(viaFile.chunks))).equals(Buffer.from(data))).toBe(true);
      }
      const report = await store.verify();
      expect(report.ok).toBe(true);
      expect(report.missingChunks).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.each([0, 2])('read synchronously up to ingestInlineBytesMax, cut as the streaming path cuts, stored new and read back (workers: %i)', async (workers) => {
    const dir = await makeTmpDir();
    const store = await openStore(join(dir, 'log'), { workers });
    const reference = await openStore(join(dir, 'reference'), { workers: 0 });
    try {
      const max = LIMITS.ingestInlineBytesMax;
      const sizes = [LIMITS.chunkBytesMin + 1, 3 * LIMITS.chunkBytesMin, max - 1, max, max + 1];
      for (const [i, size] of sizes.entries()) {
        const data = i % 2 === 0 ? textLike(size, i + 7) : prng(size, i + 7);
        const file = join(dir, `g${size}.bin`);
        await writeFile(file, data);
        // The hint comes first, so its chunks are new: the synchronous path stores them itself. A hint below the
        // size (the file grew after the caller's lstat) takes the streaming path for a file above the limit.
        const viaHint = await store.ingestFile(file, { sizeHint: Math.min(size, max) });
        const viaStream = await reference.ingestStream((async function* () {
          yield data;
        })());
        expect(contentIdHex(viaHint.contentId)).toBe(contentIdHex(viaStream.contentId));
        expect(viaHint.chunks.map((c) => [contentIdHex(c.id), c.size])).toEqual(viaStream.chunks.map((c) => [contentIdHex(c.id), c.size]));
        expect(viaHint.newChunks).toBe(viaStream.newChunks);
        expect(viaHint.stat).toMatchObject({ size });
        await store.appendRecords([versionOf('r', `g${size}.bin`, viaHint)]);
        expect((await collect(store.readContent(viaHint.chunks))).equals(Buffer.from(data))).toBe(true);
      }
      expect((await store.verify()).ok).toBe(true);
    } finally {
      await store.close();
      await reference.close();
    }
  });

  it('the synchronous small-file read refuses what is not a regular file without hanging, and reports a missing one', async () => {
    const dir = await makeTmpDir();
    const store = await openStore(join(dir, 'log'), { workers: 0 });
    try {
      const fifo = join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      await expect(store.ingestFile(fifo, { sizeHint: 0 })).rejects.toMatchObject({ code: 'SYNCLOG_IO', details: { errno: 'ENOTREG' } });
      await expect(store.ingestFile(join(dir, 'missing'), { sizeHint: 10 })).rejects.toMatchObject({ details: { errno: 'ENOENT' } });
      await expect(store.ingestFile(dir, { sizeHint: 10 })).rejects.toMatchObject({ details: { errno: 'ENOTREG' } });
      expect((await store.stats()).chunks).toBe(0);
    } finally {
      await store.close();
    }
  });

  it.each([0, 2])('lends the pooled read buffer to compression: raw and compressed chunks read back exact after the buffer was reused (workers: %i)', async (workers) => {
    const dir = await makeTmpDir();
    const files: { path: string; data: Uint8Array }[] = [];
    for (let i = 0; i < 48; i++) {
      const size = [900, 10_000, 16 * 1024, 20_000, 40_000, 64 * 1024][i % 6]!;
      // Even files incompressible (stored raw: kept bytes must be a copy), odd ones text (compressed).
      const data = i % 2 === 0 ? prng(size, 100 + i) : textLike(size, 100 + i);
      const path = join(dir, `f${i}`);
      await writeFile(path, data);
      files.push({ path, data });
    }
    const store = await openStore(join(dir, 'log'), { workers });
    try {
      // 8 at a time through the synchronous read: each read reuses a pooled buffer another file just gave back.
      const contents = [];
      for (let i = 0; i < files.length; i += 8) {
        contents.push(...(await Promise.all(files.slice(i, i + 8).map((f) => store.ingestFile(f.path, { sizeHint: f.data.length })))));
      }
      await store.appendRecords(contents.map((content, i) => versionOf('r', `f${i}`, content)));
      const stored = [];
      for await (const entry of store.entries({ kinds: ['chunk'] })) if (entry.record.kind === 'chunk') stored.push(entry.record.codec);
      expect(stored).toContain('raw');
      expect(stored).toContain('zstd');
      for (let i = 0; i < files.length; i++) {
        expect((await collect(store.readContent(contents[i]!.chunks))).equals(Buffer.from(files[i]!.data))).toBe(true);
      }
    } finally {
      await store.close();
    }
  });

  it('concurrent ingests of one chunk store it once, and each version follows it in the log', async () => {
    const dir = await makeTmpDir();
    const data = textLike(3000, 7);
    for (let i = 0; i < 32; i++) await writeFile(join(dir, `same-${i}.txt`), data);
    const store = await openStore(join(dir, 'log'), { workers: 1 });
    try {
      const all = await Promise.all(Array.from({ length: 32 }, (_, i) => store.ingestFile(join(dir, `same-${i}.txt`))));
      expect(all.reduce((sum, c) => sum + c.newChunks, 0)).toBe(1);
      // Append the version of an ingest that did not store the chunk, on its own: it must still come after it.
      const waiter = all.findIndex((c) => c.newChunks === 0);
      const [stored] = await store.appendRecords([versionOf('r', `same-${waiter}.txt`, all[waiter]!)]);
      expect(store.hasChunk(all[waiter]!.chunks[0]!.id)).toBe(true);
      const seqs: { kind: string; seq: number }[] = [];
      for await (const entry of store.entries({ kinds: ['chunk', 'version'] })) seqs.push({ kind: entry.record.kind, seq: entry.seq });
      expect(seqs.filter((s) => s.kind === 'chunk')).toHaveLength(1);
      expect(seqs.find((s) => s.kind === 'chunk')!.seq).toBeLessThan(stored!.seq);
      await store.flush();
    } finally {
      await store.close();
    }
    const reopened = await openStore(join(dir, 'log'), { readOnly: true });
    try {
      const report = await reopened.verify();
      expect(report.ok).toBe(true);
      expect(report.missingChunks).toEqual([]);
      expect(report.versions).toBe(1);
    } finally {
      await reopened.close();
    }
  });
});
