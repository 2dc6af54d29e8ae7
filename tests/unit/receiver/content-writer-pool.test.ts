// The receiver's content-writer threads on a real log: each job's temp file holds exactly the version's bytes with
// its mode and mtime; damage in a chunk fails that job alone with a CorruptionError naming the chunk, segment and
// offset and leaves no temp file; close() settles everything still waiting.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClosedError, CorruptionError } from '../../../src/errors.js';
import { contentIdHex, type ChunkRef } from '../../../src/record/index.js';
import { contentProvider, ContentWriterPool } from '../../../src/receiver/content-writer-pool.js';
import type { PooledContent } from '../../../src/receiver/atomic-file.js';
import { openStore, type IngestedContent, type Store } from '../../../src/store/index.js';
import { flipByte } from '../../helpers/corrupt.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { prng, textLike } from '../store/store-fixtures.js';

async function logWith(files: Uint8Array[]): Promise<{ logDir: string; contents: IngestedContent[] }> {
  const logDir = join(await makeTmpDir(), 'log');
  const store = await openStore(logDir, { workers: 0 });
  try {
    const contents: IngestedContent[] = [];
    for (const data of files) {
      contents.push(
        await store.ingestStream(
          (async function* () {
            yield data;
          })(),
        ),
      );
    }
    await store.flush();
    return { logDir, contents };
  } finally {
    await store.close();
  }
}

/** The chunk locations and ids the receiver would hand a thread for these chunks. */
async function pooled(store: Store, pool: ContentWriterPool, chunks: readonly ChunkRef[]): Promise<Pick<PooledContent, 'chunks' | 'ids'>> {
  const { chunks: located, ids } = (await contentProvider(store, pool)(chunks)()) as PooledContent;
  return { chunks: located, ids };
}

interface PoolFixture {
  logDir: string;
  contents: IngestedContent[];
  store: Store;
  pool: ContentWriterPool;
  out: string;
}

/** A log holding `files`, a read-only store over it, a pool of `threads`, an empty folder; closed afterwards. */
async function withPool(files: Uint8Array[], threads: number, body: (fixture: PoolFixture) => Promise<void>): Promise<void> {
  const { logDir, contents } = await logWith(files);
  const store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
  const pool = ContentWriterPool.create(logDir, { threads, startAfterBytes: 0 });
  try {
    await body({ logDir, contents, store, pool, out: await makeTmpDir() });
  } finally {
    await pool.close();
    await store.close();
  }
}

/** A job writing `name` in `out` (its temp beside it), no fsync. */
function job(out: string, name: string, content: Pick<PooledContent, 'chunks' | 'ids'>) {
  return { target: join(out, name), temp: join(out, `${name}.tmp`), mode: 0o644, setMode: false, mtimeSeconds: 1, fsync: false, ...content };
}

describe('ContentWriterPool', () => {
  it('writes each file from its chunks with mode and mtime, across threads, many at once', async () => {
    const files = [textLike(700 * 1024, 1), prng(300 * 1024, 2), new Uint8Array(0), textLike(10, 4), prng(70 * 1024, 5)];
    await withPool(files, 2, async ({ contents, store, pool, out }) => {
      await pool.ready(); // both threads started (a follower waits for this before it reports caught-up)
      const jobs = [];
      for (let copy = 0; copy < 6; copy++) {
        for (const [i, content] of contents.entries()) {
          const temp = join(out, `f${copy}-${i}`);
          const data = await pooled(store, pool, content.chunks);
          jobs.push(pool.write({ target: temp, temp, mode: 0o640, setMode: true, mtimeSeconds: 1_700_000_000 + i, fsync: copy === 0, ...data }));
        }
      }
      const written = await Promise.all(jobs);
      expect(written).toEqual(Array.from({ length: 6 }, () => files.map((f) => f.length)).flat());
      for (let copy = 0; copy < 6; copy++) {
        for (const [i, data] of files.entries()) {
          const path = join(out, `f${copy}-${i}`);
          expect(Buffer.from(await readFile(path)).equals(Buffer.from(data))).toBe(true);
          const info = await stat(path);
          expect(info.mode & 0o777).toBe(0o640);
          expect(info.mtimeMs).toBe((1_700_000_000 + i) * 1000);
        }
      }
    });
  });

  it('fails a job whose chunk is damaged with a CorruptionError naming it, and removes its temp file', async () => {
    await withPool([prng(100 * 1024, 7), textLike(50 * 1024, 8)], 1, async ({ logDir, contents, store, pool, out }) => {
      const [where] = await store.locateChunks(contents[0]!.chunks);
      const damaged = await pooled(store, pool, contents[0]!.chunks);
      const intact = await pooled(store, pool, contents[1]!.chunks);
      await flipByte(join(logDir, where!.segment), where!.offset + 200);
      const bad = pool.write(job(out, 'bad', damaged));
      const good = pool.write(job(out, 'good', intact));
      const error = await bad.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where).toMatchObject({ file: where!.segment, offset: where!.offset, chunk: contentIdHex(contents[0]!.chunks[0]!.id) });
      expect(await good).toBe(50 * 1024); // the next job on the same thread is unaffected
      expect(await readdir(out)).toEqual(['good.tmp']);
    });
  });

  it('refuses content whose size differs from what the version says (chunk-size-mismatch)', async () => {
    await withPool([textLike(40 * 1024, 9)], 1, async ({ contents, store, pool, out }) => {
      const lying = contents[0]!.chunks.map((chunk) => ({ ...chunk, size: chunk.size + 1 }));
      await expect(pool.write(job(out, 'x', await pooled(store, pool, lying)))).rejects.toMatchObject({ where: { reason: 'chunk-size-mismatch' } });
      expect(await readdir(out)).toEqual([]);
    });
  });

  it('starts its threads only once the content offered passes startAfterBytes (smaller work stays on the main thread)', async () => {
    const { logDir } = await logWith([textLike(10, 1)]);
    const pool = ContentWriterPool.create(logDir, { threads: 1, startAfterBytes: 1000 });
    try {
      expect(pool.takes(400)).toBe(false);
      expect(pool.takes(500)).toBe(false);
      expect(pool.takes(200)).toBe(true); // 1,100 offered: the threads start and take this one
      expect(pool.takes(1)).toBe(true); // and everything after
      await pool.ready();
    } finally {
      await pool.close();
    }
  });

  it('with startWhenReady false (a remote follower), ready() starts no thread: only content offered does', async () => {
    const pool = ContentWriterPool.create(undefined, { threads: 1, startAfterBytes: 1000, startWhenReady: false });
    try {
      await pool.ready();
      expect(pool.takes(400)).toBe(false); // still no thread: the main thread writes it
      expect(pool.takes(700)).toBe(true);
      await pool.ready();
    } finally {
      await pool.close();
    }
  });

  it('close() rejects what is still queued with ClosedError, and later writes too', async () => {
    await withPool([textLike(300 * 1024, 10)], 1, async ({ contents, store, pool, out }) => {
      const data = await pooled(store, pool, contents[0]!.chunks);
      // More than one thread's share: some wait in the pool's queue when close() is called.
      const writes = Array.from({ length: 40 }, (_, i) =>
        pool.write(job(out, `${i}`, data)).then(
          () => 'written',
          (error: unknown) => error,
        ),
      );
      await pool.close();
      const results = await Promise.all(writes);
      expect(results.some((r) => r instanceof ClosedError)).toBe(true);
      expect(results.every((r) => r === 'written' || r instanceof ClosedError)).toBe(true);
      await expect(pool.write(job(out, 'late', data))).rejects.toBeInstanceOf(ClosedError);
    });
  });
});

describe('ContentWriterPool with carried chunks (a remote receiver: no log)', () => {
  it('writes fetched records checked against their ids, and refuses one whose bytes are not its id, leaving no temp', async () => {
    const files = [prng(100 * 1024, 11), textLike(300 * 1024, 12)];
    const { logDir, contents } = await logWith(files);
    const store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
    const pool = ContentWriterPool.create(undefined, { threads: 1, startAfterBytes: 0 });
    try {
      const out = await makeTmpDir();
      const carried = async (chunks: readonly ChunkRef[]) =>
        Promise.all(chunks.map(async (chunk) => ({ ...(await store.readChunkRecord(chunk.id)), size: chunk.size }))).then((records) =>
          records.map(({ tag, payload, size }) => ({ bytes: payload, tag, from: 'http://127.0.0.1:1/', size })),
        );
      const ids = (chunks: readonly ChunkRef[]) => Buffer.concat(chunks.map((chunk) => chunk.id));
      const good = await carried(contents[1]!.chunks);
      expect(await pool.write(job(out, 'good', { chunks: good, ids: ids(contents[1]!.chunks) }))).toBe(files[1]!.length);
      expect(Buffer.from(await readFile(join(out, 'good.tmp'))).equals(Buffer.from(files[1]!))).toBe(true);
      // Bytes checked already (read back from the destination) are written as they are. Handed to the pool, they
      // are its own: a buffer they span whole is moved to the thread (detached here), not copied.
      const checked = files[0]!.slice();
      expect(await pool.write(job(out, 'checked', { chunks: [{ bytes: checked, from: 'local', size: files[0]!.length }], ids: ids(contents[0]!.chunks) }))).toBe(files[0]!.length);
      expect(checked.byteLength).toBe(0);
      expect(Buffer.from(await readFile(join(out, 'checked.tmp'))).equals(Buffer.from(files[0]!))).toBe(true);
      // A server that answers with another chunk's record under this id.
      const forged = (await carried(contents[0]!.chunks)).map((chunk) => ({ ...chunk, size: contents[1]!.chunks[0]!.size }));
      const error = await pool.write(job(out, 'forged', { chunks: forged.slice(0, 1), ids: ids(contents[1]!.chunks.slice(0, 1)) })).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where).toMatchObject({ file: 'http://127.0.0.1:1/', chunk: contentIdHex(contents[1]!.chunks[0]!.id) });
      // A chunk to read from a log, given to threads that have none, is refused (a bug), not a crash.
      const [where] = await store.locateChunks(contents[0]!.chunks);
      await expect(pool.write(job(out, 'inlog', { chunks: [{ segment: where!.segment, offset: where!.offset, storedSize: where!.size, size: contents[0]!.chunks[0]!.size }], ids: ids(contents[0]!.chunks.slice(0, 1)) }))).rejects.toThrow(/without a log/);
      expect((await readdir(out)).sort()).toEqual(['checked.tmp', 'good.tmp']);
    } finally {
      await pool.close();
      await store.close();
    }
  });
});
