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
