// Compression only when it pays (zstd for new chunks, deflate still read); decompression never produces or allocates
// more than the recorded size, and hostile frames get an error, never a crash.
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { compress as zstdOneShot } from '@bokuweb/zstd-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../src/errors.js';
import { byteEntropy, decompressChunkSync } from '../../../src/store/compress.js';
import { checkChunkRecord } from '../../../src/store/chunk-reader.js';
import { compressChunk, decompressChunk, hashContent, readyCodecs, zstdFrameContentSize } from '../../../src/store/index.js';
import { LIMITS } from '../../../src/util/limits.js';

beforeAll(async () => {
  await readyCodecs();
});

const text = (bytes: number) => new TextEncoder().encode('the quick brown fox jumps over the lazy dog\n'.repeat(Math.ceil(bytes / 44))).subarray(0, bytes);

describe('chunk compression', () => {
  it('keeps incompressible data raw and compresses text with zstd', async () => {
    const random = new Uint8Array(randomBytes(64 * 1024));
    expect(compressChunk(random, 'auto').codec).toBe('raw');
    const plain = text(88_000);
    const packed = compressChunk(plain, 'auto');
    expect(packed.codec).toBe('zstd');
    expect(packed.data.length).toBeLessThan(plain.length / 8);
    expect(Buffer.from(await decompressChunk(packed.codec, packed.data, plain.length)).equals(Buffer.from(plain))).toBe(true);
    expect(compressChunk(plain, 'none').codec).toBe('raw');
  });

  it('round-trips raw, deflate and zstd, sync and async, up to the chunker maximum', async () => {
    for (const bytes of [LIMITS.compressBytesMin, 16 * 1024 + 1, 100_000, LIMITS.chunkBytesMax]) {
      const plain = text(bytes);
      for (const codec of ['raw', 'deflate', 'zstd'] as const) {
        const packed = compressChunk(plain, 'auto', codec);
        expect(packed.codec).toBe(codec);
        expect(Buffer.from(decompressChunkSync(codec, packed.data, bytes)).equals(Buffer.from(plain))).toBe(true);
        expect(Buffer.from(await decompressChunk(codec, packed.data, bytes)).equals(Buffer.from(plain))).toBe(true);
      }
    }
  });

  it('byteEntropy counts every byte exactly (any length, the tail after the last four included)', () => {
    const reference = (sample: Uint8Array): number => {
      const counts = new Array<number>(256).fill(0);
      for (const byte of sample) counts[byte]! += 1;
      let bits = 0;
      for (const c of counts) if (c > 0) bits -= c * Math.log2(c / sample.length);
      return sample.length === 0 ? 0 : bits / sample.length;
    };
    expect(byteEntropy(new Uint8Array(0))).toBe(0);
    expect(byteEntropy(new Uint8Array(1000).fill(7))).toBe(0);
    expect(byteEntropy(Uint8Array.from({ length: 256 }, (_, i) => i))).toBe(8);
    for (let length = 1; length <= 9; length++) {
      const sample = Uint8Array.from({ length }, (_, i) => (i * 37) % 5);
      expect(byteEntropy(sample)).toBe(reference(sample));
    }
    for (const sample of [new Uint8Array(randomBytes(8191)), text(8190), new Uint8Array(randomBytes(8192)).map((b) => b % 3)]) {
      expect(byteEntropy(sample)).toBe(reference(sample));
    }
  });

  it('the kept compression context writes the very frames a fresh one does, whatever came before it', () => {
    // Sizes up and down (the context's tables are sized by the input) and contents that differ, so a table left
    // over from the chunk before would show as different bytes.
    const sizes = [LIMITS.chunkBytesMax, 600, 70_000, LIMITS.compressBytesMin, 16 * 1024, LIMITS.chunkBytesMax - 1, 3000];
    for (const [i, bytes] of sizes.entries()) {
      const mixed = new Uint8Array(bytes);
      mixed.set(text(bytes).subarray(0, Math.floor(bytes / 2)));
      mixed.set(new Uint8Array(randomBytes(Math.floor(bytes / 8))), Math.floor(bytes / 2));
      mixed.fill(i, Math.floor(bytes / 2) + Math.floor(bytes / 8));
      const packed = compressChunk(mixed, 'auto');
      expect(packed.codec).toBe('zstd');
      expect(Buffer.from(packed.data).equals(Buffer.from(zstdOneShot(mixed, 1)))).toBe(true);
    }
  });

  it('max-size chunks of mixed content: 300 zstd round trips in one thread stay exact (no wasm heap ceiling hit)', () => {
    const chunk = new Uint8Array(LIMITS.chunkBytesMax);
    for (let i = 0; i < 300; i++) {
      chunk.set(text(LIMITS.chunkBytesMax));
      chunk.set(randomBytes(32 * 1024), (i * 4096) % (LIMITS.chunkBytesMax / 4)); // away from the entropy sample in the middle
      const packed = compressChunk(chunk, 'auto', 'zstd');
      expect(packed.codec).toBe('zstd');
      expect(zstdFrameContentSize(packed.data)).toBe(chunk.length);
      expect(Buffer.from(decompressChunkSync('zstd', packed.data, chunk.length)).equals(Buffer.from(chunk))).toBe(true);
    }
  });

  it('refuses to inflate beyond the recorded size', async () => {
    const packed = compressChunk(text(100_000), 'auto', 'deflate');
    await expect(decompressChunk('deflate', packed.data, 1000)).rejects.toThrow();
  });
});

describe('hostile zstd frames', () => {
  const plain = text(100_000);
  let frame: Uint8Array = new Uint8Array(0);
  beforeAll(() => {
    frame = compressChunk(plain, 'auto', 'zstd').data;
  });

  /** A frame header declaring `size` bytes (single segment, 8-byte content size) followed by `body`. */
  function claiming(size: number, body: Uint8Array): Uint8Array {
    const header = new Uint8Array(5 + 8);
    header.set([0x28, 0xb5, 0x2f, 0xfd, 0xe0]);
    new DataView(header.buffer).setBigUint64(5, BigInt(size), true);
    return new Uint8Array(Buffer.concat([header, body]));
  }

  it('a frame declaring a huge content size is refused before any allocation', () => {
    expect(() => decompressChunkSync('zstd', claiming(2 ** 31 - 1, frame.subarray(6)), plain.length)).toThrow(/declares 2147483647 bytes/);
    expect(() => decompressChunkSync('zstd', claiming(2 ** 40, frame.subarray(6)), plain.length)).toThrow(/declares/);
  });

  it('a size that disagrees with the record, a truncated frame, garbage and an appended frame are refused', () => {
    expect(() => decompressChunkSync('zstd', frame, plain.length - 1)).toThrow(/declares/);
    for (const cut of [0, 3, 5, 8, 20, frame.length - 1]) expect(() => decompressChunkSync('zstd', frame.subarray(0, cut), plain.length)).toThrow();
    expect(() => decompressChunkSync('zstd', new Uint8Array(randomBytes(500)), plain.length)).toThrow(/not a zstd frame/);
    const garbled = new Uint8Array(frame);
    for (let i = 20; i < garbled.length; i += 7) garbled[i] = garbled[i]! ^ 0x5a;
    expect(() => decompressChunkSync('zstd', garbled, plain.length)).toThrow();
    expect(() => decompressChunkSync('zstd', new Uint8Array(Buffer.concat([frame, frame])), plain.length)).toThrow(/does not decode/);
    // A deflate stream under the zstd codec is not a frame either.
    expect(() => decompressChunkSync('zstd', new Uint8Array(deflateRawSync(plain)), plain.length)).toThrow(/not a zstd frame/);
  });

  it('through the store check they are CorruptionErrors naming the chunk', () => {
    const id = hashContent(plain);
    const where = { segment: '00000000000000000000.seg', offset: 40, size: plain.length };
    expect(Buffer.from(checkChunkRecord({ kind: 'chunk', id, codec: 'zstd', size: plain.length, data: frame }, id, where)).equals(Buffer.from(plain))).toBe(true);
    expect(() => checkChunkRecord({ kind: 'chunk', id, codec: 'zstd', size: plain.length, data: claiming(2 ** 31, frame.subarray(6)) }, id, where)).toThrow(CorruptionError);
    expect(() => checkChunkRecord({ kind: 'chunk', id, codec: 'zstd', size: plain.length, data: frame.subarray(0, 30) }, id, where)).toThrow(CorruptionError);
  });
});
