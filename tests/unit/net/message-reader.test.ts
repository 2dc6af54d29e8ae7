// The client's MessageReader: exact byte counts out of a body that arrives in pieces of any size. Every split of
// the same bytes must read the same messages; a readOwned buffer is its own (offset 0, the whole ArrayBuffer) and
// is not changed by later reads; a body that ends mid-message is a retryable cut stream.
import { describe, expect, it } from 'vitest';
import { NetError } from '../../../src/errors.js';
import { MessageReader } from '../../../src/net/message-reader.js';

async function* piecesOf(bytes: Buffer, sizes: number[]): AsyncIterable<Buffer> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

describe('MessageReader', () => {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff));
  const lengths = [1, 5, 300, 0, 2, 400, 292];

  for (const sizes of [[1], [7], [64], [333, 1], [1000], [3, 500, 2]]) {
    it(`reads the same messages from pieces of ${sizes.join(', ')} bytes`, async () => {
      const reader = new MessageReader(piecesOf(bytes, sizes), 'http://test/');
      let at = 0;
      const owned: { copy: Uint8Array; at: number }[] = [];
      for (const [i, length] of lengths.entries()) {
        const got = i % 2 === 0 ? await reader.read(length) : await reader.readOwned(length);
        expect(Buffer.from(got).equals(bytes.subarray(at, at + length))).toBe(true);
        if (i % 2 === 1) {
          expect(got.byteOffset).toBe(0);
          expect(got.byteLength).toBe(got.buffer.byteLength);
          owned.push({ copy: got, at });
        }
        at += length;
      }
      expect(await reader.atEnd()).toBe(true);
      for (const { copy, at: from } of owned) expect(Buffer.from(copy).equals(bytes.subarray(from, from + copy.length))).toBe(true);
    });
  }

  it('calls a body that ends mid-message a cut stream (retryable)', async () => {
    const reader = new MessageReader(piecesOf(bytes.subarray(0, 10), [4]), 'http://test/');
    await reader.read(8);
    const error = await reader.readOwned(5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).details).toMatchObject({ reason: 'stream-cut', retryable: true });
  });
});
