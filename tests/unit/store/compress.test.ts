// Compression only when it pays; inflate never produces more than the recorded size.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compressChunk, decompressChunk } from '../../../src/store/index.js';

describe('chunk compression', () => {
  it('keeps incompressible data raw and deflates text', async () => {
    const random = new Uint8Array(randomBytes(64 * 1024));
    expect(compressChunk(random, 'auto').codec).toBe('raw');
    const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog\n'.repeat(2000));
    const packed = compressChunk(text, 'auto');
    expect(packed.codec).toBe('deflate');
    expect(packed.data.length).toBeLessThan(text.length / 8);
    expect(Buffer.from(await decompressChunk(packed.codec, packed.data, text.length)).equals(Buffer.from(text))).toBe(true);
    expect(compressChunk(text, 'none').codec).toBe('raw');
  });

  it('refuses to inflate beyond the recorded size', async () => {
    const text = new TextEncoder().encode('a'.repeat(100_000));
    const packed = compressChunk(text, 'auto');
    await expect(decompressChunk('deflate', packed.data, 1000)).rejects.toThrow();
  });
});

describe('decompressChunkSync (one output buffer sized for the chunk)', () => {
  it('round-trips chunks around zlib chunk boundaries and refuses one byte over the recorded size', async () => {
    const { decompressChunkSync } = await import('../../../src/store/compress.js');
    for (const bytes of [1, 63, 64, 65, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000, 1024 * 1024]) {
      const text = new TextEncoder().encode('lorem ipsum dolor sit amet\n'.repeat(Math.ceil(bytes / 27))).subarray(0, bytes);
      const packed = compressChunk(text, 'auto');
      const data = packed.codec === 'deflate' ? packed.data : (await import('node:zlib')).deflateRawSync(text);
      expect(Buffer.from(decompressChunkSync('deflate', data, bytes)).equals(Buffer.from(text))).toBe(true);
      if (bytes > 1) expect(() => decompressChunkSync('deflate', data, bytes - 1)).toThrow();
    }
  });
});
