// The in-place BlockChunker against the copying Chunker: the same chunks, byte for byte, however the input is split
// into blocks (dedup against chunks cut by older synclogs depends on it), and views only where a chunk fits a block.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { BlockChunker, Chunker, chunkWhole, DEFAULT_CHUNK_SIZES, type ChunkSizes } from '../../../src/store/index.js';
import { prng } from './store-fixtures.js';

function copying(data: Uint8Array, sizes: ChunkSizes): Uint8Array[] {
  const chunker = new Chunker(sizes);
  return [...chunker.push(data), ...chunker.finish()];
}

/** Cuts `data` in blocks of the given lengths (cycled); each chunk copied at once, as a caller reusing blocks must. */
function inPlace(data: Uint8Array, blockLengths: number[], sizes: ChunkSizes, chunker = new BlockChunker(sizes)): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const length = blockLengths[i % blockLengths.length]!;
    const block = new Uint8Array(data.subarray(at, at + length)); // its own buffer, like a read block
    for (const chunk of chunker.push(block)) out.push(chunk.slice());
    block.fill(0xee); // reused for the next read: a chunk kept as a view would change here
    at += length;
  }
  out.push(...chunker.finish());
  return out;
}

/** Each chunk as length:sha256 (comparing arrays of large Uint8Arrays element by element is very slow). */
function digests(chunks: Uint8Array[]): string[] {
  return chunks.map((c) => `${c.length}:${createHash('sha256').update(c).digest('hex')}`);
}

const SMALL: ChunkSizes = { chunkBytesMin: 64, chunkBytesAvg: 256, chunkBytesMax: 1024 };

/** Data with long runs (no cut for a while: max-length chunks) as well as random stretches. */
const dataArb = fc
  .array(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 1, max: 5000 }).map((n) => new Uint8Array(n).fill(7))), { maxLength: 8 })
  .map((parts) => {
    const all = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
    let at = 0;
    for (const p of parts) (all.set(p, at), (at += p.length));
    return all;
  });

describe('chunkWhole (content read whole, cut in place)', () => {
  it('cuts exactly the chunks the copying Chunker cuts, for any data (small sizes), as views into it', () => {
    fc.assert(
      fc.property(dataArb, (data) => {
        const chunks = chunkWhole(data, SMALL);
        expect(digests(chunks)).toEqual(digests(copying(data, SMALL)));
        for (const chunk of chunks) expect(chunk.buffer).toBe(data.buffer);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts the same chunks at the default sizes around the sizes a small file has (up to 64 KiB and past)', () => {
    for (const length of [0, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 40_000, 64 * 1024, 64 * 1024 + 1, 300_000]) {
      for (const data of [prng(length, length + 1), new Uint8Array(length).fill(3)]) {
        expect(digests(chunkWhole(data))).toEqual(digests(copying(data, DEFAULT_CHUNK_SIZES)));
      }
    }
  });
});

describe('BlockChunker', () => {
  it('cuts exactly the chunks the copying Chunker cuts, for any data and any block split (small sizes)', () => {
    fc.assert(
      fc.property(dataArb, fc.array(fc.integer({ min: 1, max: 2500 }), { minLength: 1, maxLength: 6 }), (data, blocks) => {
        expect(digests(inPlace(data, blocks, SMALL))).toEqual(digests(copying(data, SMALL)));
      }),
      { numRuns: 300 },
    );
  });

  it('cuts the same chunks at the default sizes with 1 MiB read blocks and odd blocks', () => {
    const data = prng(5 * 1024 * 1024 + 12345, 11);
    const reference = digests(copying(data, DEFAULT_CHUNK_SIZES));
    expect(reference.length).toBeGreaterThan(40);
    expect(digests(inPlace(data, [1024 * 1024], DEFAULT_CHUNK_SIZES))).toEqual(reference);
    expect(digests(inPlace(data, [4093, 700_001, 17], DEFAULT_CHUNK_SIZES))).toEqual(reference);
    const zeros = new Uint8Array(3 * 1024 * 1024 + 5);
    expect(digests(inPlace(zeros, [1024 * 1024], DEFAULT_CHUNK_SIZES))).toEqual(digests(copying(zeros, DEFAULT_CHUNK_SIZES)));
  });

  it('hands out views into the block for chunks inside it, copies for chunks across blocks', () => {
    const data = prng(2 * 1024 * 1024, 3);
    const chunker = new BlockChunker();
    const block = data.slice(0, 1024 * 1024);
    const first = chunker.push(block);
    expect(first.length).toBeGreaterThan(0);
    for (const chunk of first) expect(chunk.buffer).toBe(block.buffer);
    const second = chunker.push(data.slice(1024 * 1024));
    expect(second[0]!.buffer).not.toBe(block.buffer); // began in the first block
    expect(second[0]!.byteLength).toBe(second[0]!.buffer.byteLength);
  });

  it('is reusable after finish() and yields nothing for no input', () => {
    const chunker = new BlockChunker(SMALL);
    const data = prng(10_000, 5);
    const once = inPlace(data, [333], SMALL, chunker);
    expect(digests(inPlace(data, [1000], SMALL, chunker))).toEqual(digests(once));
    expect(chunker.finish()).toEqual([]);
  });
});
