// The server's shared chunk reads: an id asked while its read is in flight, or just after, is read once; what is kept
// stays within its bound (least recently used out first, a view copied out of its run); a failed read is not kept;
// every answer is the one the store gives, in the order asked.
import { describe, expect, it } from 'vitest';
import { SharedChunkReads, type ChunkRecordSource } from '../../../src/net/shared-chunk-reads.js';
import type { ContentIdBytes } from '../../../src/record/index.js';
import { contentIdHex, hashContent, type ChunkRecordResult } from '../../../src/store/index.js';

function idOf(i: number): ContentIdBytes {
  return hashContent(Uint8Array.of(i & 0xff, i >> 8));
}

/** A store holding records of `size` payload bytes for ids 0..count-1 (payload filled with i), counting the ids read. */
function storeOf(count: number, size = 100): ChunkRecordSource & { reads: string[]; fail?: Error; failId?: string } {
  const byHex = new Map<string, number>();
  for (let i = 0; i < count; i++) byHex.set(contentIdHex(idOf(i)), i);
  const store: ChunkRecordSource & { reads: string[]; fail?: Error; failId?: string } = {
    reads: [],
    async readChunkRecords(ids) {
      await new Promise((r) => setTimeout(r, 2));
      const fail = store.fail;
      store.fail = undefined;
      if (fail) throw fail;
      return ids.map((id): ChunkRecordResult => {
        const hex = contentIdHex(id);
        store.reads.push(hex);
        const i = byHex.get(hex);
        if (hex === store.failId) return { error: new Error(`damaged ${hex}`) };
        if (i === undefined) return { error: new Error(`no chunk ${hex}`) };
        // A view into a larger buffer, as a run of neighbours read with one pread gives it.
        const run = new Uint8Array(size * 4).fill(i & 0xff);
        return { tag: 1, payload: run.subarray(size, 2 * size) };
      });
    },
  };
  return store;
}

const payloadByte = (result: ChunkRecordResult) => ('error' in result ? -1 : result.payload[0]);

describe('SharedChunkReads', () => {
  it('answers concurrent asks of the same ids with one read each, in the order asked', async () => {
    const store = storeOf(10);
    const shared = new SharedChunkReads(store, 1024 * 1024);
    const ids = [0, 1, 2, 3].map(idOf);
    const [a, b, c] = await Promise.all([shared.readChunkRecords(ids), shared.readChunkRecords([...ids].reverse()), shared.readChunkRecords([idOf(2), idOf(5)])]);
    expect(a.map(payloadByte)).toEqual([0, 1, 2, 3]);
    expect(b.map(payloadByte)).toEqual([3, 2, 1, 0]);
    expect(c.map(payloadByte)).toEqual([2, 5]);
    expect(store.reads.sort()).toEqual([0, 1, 2, 3, 5].map((i) => contentIdHex(idOf(i))).sort());
  });

  it('serves an id asked again after its read from what it kept, and reads one asked twice in one ask once', async () => {
    const store = storeOf(10);
    const shared = new SharedChunkReads(store, 1024 * 1024);
    expect((await shared.readChunkRecords([idOf(1), idOf(1), idOf(2)])).map(payloadByte)).toEqual([1, 1, 2]);
    expect(store.reads).toHaveLength(2);
    expect((await shared.readChunkRecords([idOf(2), idOf(1)])).map(payloadByte)).toEqual([2, 1]);
    expect(store.reads).toHaveLength(2);
  });

  it('keeps at most its bound, dropping the least recently used first, and copies a view out of its run', async () => {
    const store = storeOf(40, 1000);
    const shared = new SharedChunkReads(store, 10_000);
    for (let i = 0; i < 10; i++) await shared.readChunkRecords([idOf(i)]);
    expect(shared.bytesKept).toBe(10_000);
    const kept = await shared.readChunkRecords([idOf(0)]); // 0 is now the most recently used
    expect('error' in kept[0]! ? undefined : kept[0]!.payload.buffer.byteLength).toBe(1000);
    await shared.readChunkRecords([idOf(10)]); // pushes out 1, the least recently used
    expect(shared.bytesKept).toBeLessThanOrEqual(10_000);
    const before = store.reads.length;
    await shared.readChunkRecords([idOf(0)]);
    expect(store.reads.length).toBe(before);
    await shared.readChunkRecords([idOf(1)]);
    expect(store.reads.length).toBe(before + 1);
  });

  it('never keeps a record over a quarter of its bound', async () => {
    const store = storeOf(4, 3000);
    const shared = new SharedChunkReads(store, 10_000);
    await shared.readChunkRecords([idOf(0)]);
    await shared.readChunkRecords([idOf(0)]);
    expect(store.reads).toHaveLength(2);
    expect(shared.bytesKept).toBe(0);
  });

  it('does not keep a failed read: the next ask reads again and gets the store’s answer', async () => {
    const store = storeOf(4);
    const shared = new SharedChunkReads(store, 1024 * 1024);
    store.failId = contentIdHex(idOf(1));
    const first = await shared.readChunkRecords([idOf(0), idOf(1)]);
    expect(first.map(payloadByte)).toEqual([0, -1]);
    expect(String(('error' in first[1]! && first[1].error) || '')).toContain('damaged');
    store.failId = undefined;
    expect((await shared.readChunkRecords([idOf(1)])).map(payloadByte)).toEqual([1]);
    store.fail = new Error('disk gone');
    const whole = await shared.readChunkRecords([idOf(2), idOf(3)]);
    expect(whole.every((r) => 'error' in r && String(r.error).includes('disk gone'))).toBe(true);
    expect((await shared.readChunkRecords([idOf(2), idOf(3)])).map(payloadByte)).toEqual([2, 3]);
  });
});
