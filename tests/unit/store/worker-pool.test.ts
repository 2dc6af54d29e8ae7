// The worker pool against the inline processor: same chunks and ids from real worker threads; a dead or closed
// pool rejects what it held instead of leaving it pending.
import { describe, expect, it } from 'vitest';
import { ClosedError } from '../../../src/errors.js';
import { DEFAULT_CHUNK_SIZES, InlineProcessor, WorkerPool, type ChunkProcessor, type HashedChunk } from '../../../src/store/index.js';
import { prng, textLike } from './store-fixtures.js';

async function run(processor: ChunkProcessor, data: Uint8Array): Promise<{ ids: string[]; contentId: string }> {
  const session = processor.openSession();
  const chunks: HashedChunk[] = [];
  session.onChunks = (batch) => chunks.push(...batch);
  for (let at = 0; at < data.length; at += 1 << 20) await session.write(data.slice(at, at + (1 << 20)));
  const result = await session.end();
  return { ids: chunks.map((c) => Buffer.from(c.id).toString('hex')), contentId: Buffer.from(result.contentId).toString('hex') };
}

describe('worker pool', () => {
  it('chunks, hashes and compresses exactly like the inline processor', async () => {
    const pool = new WorkerPool(2, DEFAULT_CHUNK_SIZES);
    try {
      const data = prng(5 * 1024 * 1024, 21);
      const [viaPool, inline] = await Promise.all([run(pool, data), run(new InlineProcessor(), data)]);
      expect(viaPool).toEqual(inline);
      expect(viaPool.ids.length).toBeGreaterThan(10);
      const text = textLike(200 * 1024, 2);
      const packed = await pool.compress(text.slice(), 'auto');
      expect(packed.codec).toBe('zstd') // the worker thread loaded the zstd module before its first job;
      expect(packed.data.length).toBeLessThan(text.length / 2);
    } finally {
      await pool.close();
    }
  });

  it('rejects open sessions and jobs when closed (or when its worker dies)', async () => {
    const pool = new WorkerPool(1, DEFAULT_CHUNK_SIZES);
    const session = pool.openSession();
    session.onChunks = () => {};
    await session.write(prng(1024 * 1024, 1));
    const ended = session.end();
    const closing = pool.close();
    await expect(ended).rejects.toBeInstanceOf(ClosedError);
    await closing;
    await expect(pool.compress(new Uint8Array(1000), 'auto')).rejects.toBeInstanceOf(ClosedError);
    expect(() => pool.openSession()).toThrow(ClosedError);

    const dying = new WorkerPool(1, DEFAULT_CHUNK_SIZES);
    const held = dying.openSession();
    held.onChunks = () => {};
    const thread = dying['workers'][0]!.worker;
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    await thread.terminate();
    await exited;
    await expect(held.end()).rejects.toThrow(/exited/);
    await expect(held.write(new Uint8Array(10))).rejects.toThrow(/exited/);
    await dying.close();
  });

  it('after its workers died (one that failed to start), new sessions and jobs fail at once instead of hanging', async () => {
    // chunkBytesMax 0: the worker's buffer pool refuses it while the worker module loads, so no worker ever starts.
    const broken = new WorkerPool(2, { chunkBytesMin: 64, chunkBytesAvg: 64, chunkBytesMax: 0 });
    for (let i = 0; i < 200 && broken.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(broken.size).toBe(0);
    // Before the fix both went to a dead worker and never settled (a snapshot exited 13, a watcher's flush hung).
    expect(() => broken.openSession()).toThrow();
    await expect(broken.compress(new Uint8Array(1000), 'auto')).rejects.toThrow();
    await broken.close();
  });
});
