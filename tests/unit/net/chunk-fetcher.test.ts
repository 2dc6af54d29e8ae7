// The remote receiver's chunk fetcher: asks of one turn share a request, within the per-request limits; a chunk
// asked again while an earlier ask for it is outstanding (not yet released) is fetched once; a failed request fails each of its asks; a missing chunk is undefined.
import { describe, expect, it } from 'vitest';
import { ChunkFetcher, type ChunkBatchSource } from '../../../src/net/chunk-fetcher.js';
import type { ChunkRef, ContentIdBytes } from '../../../src/record/index.js';
import { contentIdHex, hashContent } from '../../../src/store/index.js';
import { NET_LIMITS } from '../../../src/util/limits.js';

function chunkOf(i: number, size = 100): { ref: ChunkRef; data: Uint8Array } {
  const data = new Uint8Array(size).fill(i % 251);
  data[0] = i & 0xff;
  data[1] = i >> 8;
  return { ref: { id: hashContent(data), size }, data };
}

/** A source holding `chunks`, recording each request's ids; `fail` makes the next request reject. */
function sourceOf(chunks: { ref: ChunkRef; data: Uint8Array }[]): ChunkBatchSource<Uint8Array> & { requests: string[][]; fail?: Error } {
  const byHex = new Map(chunks.map((c) => [contentIdHex(c.ref.id), c.data]));
  const source: ChunkBatchSource<Uint8Array> & { requests: string[][]; fail?: Error } = {
    requests: [],
    async fetchChunks(ids: readonly ContentIdBytes[]) {
      source.requests.push(ids.map(contentIdHex));
      await new Promise((r) => setTimeout(r, 1));
      const fail = source.fail;
      source.fail = undefined;
      if (fail) throw fail;
      return ids.map((id) => byHex.get(contentIdHex(id)));
    },
  };
  return source;
}

describe('ChunkFetcher', () => {
  it('gives a second ask for a chunk in flight a copy of its own (each ask may hand its bytes on), fetched once', async () => {
    const chunks = [chunkOf(1), chunkOf(2)];
    const source = sourceOf(chunks);
    const fetcher = new ChunkFetcher(source, (data) => data.slice());
    const [first, second, other] = await Promise.all([fetcher.get(chunks[0]!.ref).answer, fetcher.get(chunks[0]!.ref).answer, fetcher.get(chunks[1]!.ref).answer]);
    expect(source.requests).toEqual([[contentIdHex(chunks[0]!.ref.id), contentIdHex(chunks[1]!.ref.id)]]);
    expect(first).toEqual(chunks[0]!.data);
    expect(second).toEqual(chunks[0]!.data);
    expect(second!.buffer).not.toBe(first!.buffer);
    expect(other).toEqual(chunks[1]!.data);
  });

  it('sends the asks of one turn together, each answered with its own chunk', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => chunkOf(i));
    const source = sourceOf(chunks);
    const fetcher = new ChunkFetcher(source);
    const got = await Promise.all(chunks.map((c) => fetcher.get(c.ref).answer));
    expect(got).toEqual(chunks.map((c) => c.data));
    expect(source.requests).toHaveLength(1);
    expect(fetcher.requests).toBe(1);
  });

  it('keeps each request within the id and byte limits and the requests in flight within their limit', async () => {
    const many = Array.from({ length: NET_LIMITS.chunkIdsPerRequestMax * 2 + 5 }, (_, i) => chunkOf(i));
    const big = Array.from({ length: 6 }, (_, i) => chunkOf(10_000 + i, NET_LIMITS.chunkRequestBytesMax / 2 - 1));
    const source = sourceOf([...many, ...big]);
    let inFlight = 0;
    let inFlightMax = 0;
    const counted: ChunkBatchSource<Uint8Array> = {
      async fetchChunks(ids) {
        inFlightMax = Math.max(inFlightMax, ++inFlight);
        try {
          return await source.fetchChunks(ids);
        } finally {
          inFlight--;
        }
      },
    };
    const fetcher = new ChunkFetcher(counted);
    const got = await Promise.all([...many, ...big].map((c) => fetcher.get(c.ref).answer));
    // By hash: a deep comparison of 24 MB of typed arrays takes minutes.
    expect(got.map((data) => contentIdHex(hashContent(data!)))).toEqual([...many, ...big].map((c) => contentIdHex(c.ref.id)));
    for (const ids of source.requests) expect(ids.length).toBeLessThanOrEqual(NET_LIMITS.chunkIdsPerRequestMax);
    const bigHexes = new Set(big.map((c) => contentIdHex(c.ref.id)));
    for (const ids of source.requests) expect(ids.filter((hex) => bigHexes.has(hex)).length).toBeLessThanOrEqual(2);
    expect(inFlightMax).toBeLessThanOrEqual(NET_LIMITS.chunkRequestsInFlight);
    expect(source.requests.length).toBeGreaterThanOrEqual(4);
  });

  it('fetches a chunk asked for twice (in flight or queued) once, and again once its asker released it', async () => {
    const one = chunkOf(1);
    const source = sourceOf([one]);
    const fetcher = new ChunkFetcher(source);
    const first = fetcher.get(one.ref);
    const [a, b] = await Promise.all([first.answer, fetcher.get(one.ref).answer]);
    expect(a).toBe(b);
    expect(source.requests.flat()).toHaveLength(1);
    first.release();
    expect(fetcher.outstandingCount).toBe(0);
    await fetcher.get(one.ref).answer;
    expect(source.requests.flat()).toHaveLength(2);
  });

  it('shares an answer that came but was not released yet (a read-ahead holding it): a copy, no second fetch', async () => {
    const one = chunkOf(3);
    const source = sourceOf([one]);
    const fetcher = new ChunkFetcher(source, (data) => data.slice());
    const first = fetcher.get(one.ref);
    const held = await first.answer;
    // Answered, still held by its asker: before, the fetcher forgot it here and the next ask fetched it again.
    const second = fetcher.get(one.ref);
    expect(source.requests.flat()).toHaveLength(1);
    const shared = await second.answer;
    expect(shared).toEqual(one.data);
    expect(shared!.buffer).not.toBe(held!.buffer);
    // The sharer's release does not end the first ask's sharing; the first asker's does.
    second.release();
    expect(fetcher.outstandingCount).toBe(1);
    first.release();
    first.release();
    expect(fetcher.outstandingCount).toBe(0);
    expect(source.requests.flat()).toHaveLength(1);
  });

  it('keeps a released answer shareable when its asker says so (kept), within chunkAnswersKeptBytesMax', async () => {
    const size = 1024 * 1024;
    const count = NET_LIMITS.chunkAnswersKeptBytesMax / size + 2;
    const chunks = Array.from({ length: count }, (_, i) => chunkOf(100 + i, size));
    const source = sourceOf(chunks);
    const fetcher = new ChunkFetcher(source, (data) => data.slice());
    for (const chunk of chunks) {
      const ask = fetcher.get(chunk.ref);
      await ask.answer;
      ask.release({ kept: true });
    }
    expect(fetcher.outstandingCount).toBe(0);
    expect(fetcher.keptByteCount).toBe(NET_LIMITS.chunkAnswersKeptBytesMax);
    // The newest kept: shared (a copy), no request; the oldest went out of the window: fetched again.
    const before = source.requests.length;
    // Compared as buffers: a deep comparison of a 1 MiB typed array takes seconds.
    expect(Buffer.from((await fetcher.get(chunks[count - 1]!.ref).answer)!).equals(chunks[count - 1]!.data)).toBe(true);
    expect(source.requests.length).toBe(before);
    await fetcher.get(chunks[0]!.ref).answer;
    expect(source.requests.length).toBe(before + 1);
    // Released without kept (its bytes were handed on): not shared after.
    const other = chunkOf(7);
    const otherSource = sourceOf([other]);
    const plain = new ChunkFetcher(otherSource);
    const ask = plain.get(other.ref);
    await ask.answer;
    ask.release();
    await plain.get(other.ref).answer;
    expect(otherSource.requests.flat()).toHaveLength(2);
  });

  it('fails every ask of a failed request, answers a missing chunk with undefined, and goes on after a failure', async () => {
    const [x, y] = [chunkOf(1), chunkOf(2)];
    const source = sourceOf([x]);
    source.fail = new Error('server away');
    const fetcher = new ChunkFetcher(source);
    const failed = await Promise.allSettled([fetcher.get(x.ref).answer, fetcher.get(y.ref).answer]);
    // A failed ask is not kept: asked again, it is fetched again.
    expect(fetcher.outstandingCount).toBe(0);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await Promise.all([fetcher.get(x.ref).answer, fetcher.get(y.ref).answer])).toEqual([x.data, undefined]);
  });
});
