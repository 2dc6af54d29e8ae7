// The CDC chunker on in-memory bytes: boundaries depend only on content, sizes stay within bounds.
import { describe, expect, it } from 'vitest';
import { Chunker, chunkStream, DEFAULT_CHUNK_SIZES, GEAR, nextBoundary } from '../../../src/store/index.js';
import { prng } from './store-fixtures.js';


function chunkAll(data: Uint8Array, blockBytes: number): Uint8Array[] {
  const chunker = new Chunker();
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += blockBytes) out.push(...chunker.push(data.subarray(at, at + blockBytes)));
  out.push(...chunker.finish());
  return out;
}

describe('chunker', () => {
  const data = prng(4 * 1024 * 1024, 7);

  it('puts boundaries in the same places whatever the block size', () => {
    const lengths = (blocks: number) => chunkAll(data, blocks).map((c) => c.length);
    const reference = lengths(1 << 20);
    expect(lengths(4093)).toEqual(reference);
    expect(lengths(data.length)).toEqual(reference);
    expect(reference.reduce((a, b) => a + b, 0)).toBe(data.length);
  });

  it('keeps every chunk within min and max (the last may be shorter)', () => {
    const chunks = chunkAll(data, 65536);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(DEFAULT_CHUNK_SIZES.chunkBytesMin);
      expect(chunk.length).toBeLessThanOrEqual(DEFAULT_CHUNK_SIZES.chunkBytesMax);
    }
    const average = data.length / chunks.length;
    expect(average).toBeGreaterThan(DEFAULT_CHUNK_SIZES.chunkBytesMin);
    expect(average).toBeLessThan(DEFAULT_CHUNK_SIZES.chunkBytesMax);
  });

  it('cuts zeros (no boundary ever matches) at max', () => {
    const chunks = chunkAll(new Uint8Array(1024 * 1024), 1 << 20);
    expect(chunks.map((c) => c.length)).toEqual([262144, 262144, 262144, 262144]);
  });

  it('realigns after an insertion: only chunks around the edit change', () => {
    const edited = new Uint8Array(data.length + 1024);
    const middle = data.length / 2;
    edited.set(data.subarray(0, middle));
    edited.set(prng(1024, 99), middle);
    edited.set(data.subarray(middle), middle + 1024);
    const key = (c: Uint8Array) => Buffer.from(c).toString('base64');
    const before = new Set(chunkAll(data, 1 << 20).map(key));
    const fresh = chunkAll(edited, 1 << 20).filter((c) => !before.has(key(c)));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.length).toBeLessThanOrEqual(2);
  });

  it('handles empty and tiny input', async () => {
    expect(new Chunker().finish()).toEqual([]);
    const out: Uint8Array[] = [];
    for await (const c of chunkStream([new Uint8Array([1, 2, 3])])) out.push(c);
    expect(out.map((c) => [...c])).toEqual([[1, 2, 3]]);
    expect(nextBoundary(new Uint8Array(10), 0, 10, false, DEFAULT_CHUNK_SIZES)).toBe(0);
  });

  it('chunkStream reuses its buffers safely: streams run interleaved, or abandoned midway, give the chunks chunkAll does', async () => {
    const inputs = [prng(900 * 1024, 11), prng(700 * 1024, 12), prng(50_000, 13)];
    const expected = inputs.map((input) => chunkAll(input, 64 * 1024).map((c) => Buffer.from(c).toString('hex')));
    const blocksOf = (input: Uint8Array) => Array.from({ length: Math.ceil(input.length / 65536) }, (_, i) => input.subarray(i * 65536, (i + 1) * 65536));
    // Abandoned after its first chunk: its buffer goes back to the pool while the others still hold theirs.
    for await (const first of chunkStream(blocksOf(prng(600 * 1024, 14)))) {
      expect(first.length).toBeGreaterThan(0);
      break;
    }
    const streams = inputs.map((input) => chunkStream(blocksOf(input))[Symbol.asyncIterator]());
    const got: string[][] = inputs.map(() => []);
    // One chunk from each stream in turn, so every stream's buffer is in use at once.
    for (let open = streams.length; open > 0; ) {
      open = 0;
      for (const [i, stream] of streams.entries()) {
        const next = await stream.next();
        if (next.done) continue;
        open++;
        got[i]!.push(Buffer.from(next.value).toString('hex'));
      }
    }
    expect(got).toEqual(expected);
  });

  it('has a fixed gear table (changing it ends dedup with older logs)', () => {
    expect(GEAR.length).toBe(256);
    expect(new Set(GEAR).size).toBe(256);
    expect([GEAR[0], GEAR[255]]).toMatchInlineSnapshot(`
      [
        1001003078,
        4171662420,
      ]
    `);
  });
});
