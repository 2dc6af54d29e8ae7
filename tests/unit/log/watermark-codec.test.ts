// The durable watermark's 16 bytes (docs/format.md "Durable watermark"): a seq as u64 LE and its complement. The
// decode reads 32-bit halves (src/log/watermark.ts): same answers as a BigInt decode for every value, refusing a
// torn or foreign file and anything above 2^53 - 1.
import { describe, expect, it } from 'vitest';
import { decodeWatermark, encodeWatermark } from '../../../src/log/watermark.js';

/** The 16 bytes for any u64 `value` (also those encodeWatermark refuses to make), complement from `complement`. */
function rawWatermark(value: bigint, complement: bigint = ~value & ((1n << 64n) - 1n)): Uint8Array {
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64LE(value, 0);
  bytes.writeBigUInt64LE(complement, 8);
  return bytes;
}

describe('decodeWatermark', () => {
  it('gives back every value encodeWatermark writes, across the 32-bit boundary and up to 2^53 - 1', () => {
    for (const value of [0, 1, 255, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 123_456_789_012, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER]) {
      expect(decodeWatermark(encodeWatermark(value))).toBe(value);
      expect(decodeWatermark(rawWatermark(BigInt(value)))).toBe(value);
    }
  });

  it('refuses a value above 2^53 - 1, a wrong complement in either half, and a wrong length', () => {
    expect(decodeWatermark(rawWatermark(2n ** 53n))).toBeUndefined();
    expect(decodeWatermark(rawWatermark((1n << 64n) - 1n))).toBeUndefined();
    expect(decodeWatermark(rawWatermark(5n, ~5n & ((1n << 64n) - 1n) ^ 1n))).toBeUndefined(); // low half
    expect(decodeWatermark(rawWatermark(5n, ~5n & ((1n << 64n) - 1n) ^ (1n << 40n)))).toBeUndefined(); // high half
    expect(decodeWatermark(new Uint8Array(16))).toBeUndefined(); // zeros: complement does not hold
    expect(decodeWatermark(encodeWatermark(7).subarray(0, 15))).toBeUndefined();
    const padded = new Uint8Array(24);
    padded.set(encodeWatermark(9), 4);
    expect(decodeWatermark(padded.subarray(4, 20))).toBe(9); // a view at an offset reads its own bytes
  });
});
