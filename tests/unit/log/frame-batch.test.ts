// The vectored layout of a commit: whatever mix of small, large and multi-piece payloads, the pieces written back to
// back are exactly the frames encodeFrame produces one by one, and a short write resumes at the right byte.
import fc from 'fast-check';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initChecksum } from '../../../src/log/checksum.js';
import { FRAME_FLAGS, type FrameFlags } from '../../../src/log/format.js';
import { dropWritten, FRAME_PAYLOAD_BY_REFERENCE_BYTES, layoutFrames, writePiecesAll, type FrameSpec } from '../../../src/log/frame-batch.js';
import { encodeFrame } from '../../../src/log/frame.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

beforeAll(async () => {
  await initChecksum();
});

const whole = (pieces: readonly Uint8Array[]) => Buffer.concat(pieces);
const SALT = 0x0123456789abcdefn;

/** A payload of `size` bytes, split at `cuts` (fractions) when given. */
const frameArb = fc
  .record({
    tag: fc.integer({ min: 0, max: 255 }),
    flags: fc.constantFrom<FrameFlags>(FRAME_FLAGS.full, FRAME_FLAGS.first, FRAME_FLAGS.middle, FRAME_FLAGS.last),
    size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: FRAME_PAYLOAD_BY_REFERENCE_BYTES - 2, max: FRAME_PAYLOAD_BY_REFERENCE_BYTES * 3 })),
    seed: fc.integer({ min: 0, max: 255 }),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  })
  .map(({ tag, flags, size, seed, cuts }) => {
    const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
    const at = [...new Set(cuts.map((c) => Math.floor(c * size)))].sort((a, b) => a - b);
    const payload = at.length === 0 ? bytes : [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? size));
    return { spec: { tag, flags, payload } as FrameSpec, bytes };
  });

describe('layoutFrames', () => {
  it('lays out exactly the bytes of the frames encoded one by one', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), (frames) => {
        const layout = layoutFrames(frames.map((f) => f.spec), SALT);
        const expected = whole(frames.map((f) => encodeFrame(f.spec.tag, f.spec.flags, f.bytes, SALT)));
        expect(layout.bytes).toBe(expected.length);
        expect(whole(layout.pieces).equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('writes a large payload from its own buffer instead of copying it', () => {
    const big = new Uint8Array(FRAME_PAYLOAD_BY_REFERENCE_BYTES * 2).fill(7);
    const small = new Uint8Array(10).fill(1);
    const layout = layoutFrames(
      [
        { tag: 1, flags: FRAME_FLAGS.full, payload: small },
        { tag: 2, flags: FRAME_FLAGS.full, payload: big },
        { tag: 3, flags: FRAME_FLAGS.full, payload: small },
      ],
      SALT,
    );
    // staged [small frame + big header], the big payload itself, staged [small frame]
    expect(layout.pieces).toHaveLength(3);
    expect(layout.pieces[1]).toBe(big);
  });
});

describe('dropWritten', () => {
  const a = Uint8Array.of(1, 2, 3);
  const b = Uint8Array.of(4, 5);
  const c = Uint8Array.of(6);
  it.each([
    [0, [1, 2, 3, 4, 5, 6]],
    [2, [3, 4, 5, 6]],
    [3, [4, 5, 6]],
    [4, [5, 6]],
    [5, [6]],
    [6, []],
  ])('after %i bytes the rest is %j', (written, rest) => {
    expect([...whole(dropWritten([a, b, c], written))]).toEqual(rest);
  });
});

describe('writePiecesAll', () => {
  it('writes every piece, empty ones included, at the position given', async () => {
    const path = join(await makeTmpDir(), 'f');
    const handle = await open(path, 'w+');
    try {
      await handle.write(Buffer.from('xx'), 0, 2, 0);
      await writePiecesAll(handle, [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)], 2);
    } finally {
      await handle.close();
    }
    expect([...(await readFile(path))]).toEqual([0x78, 0x78, 1, 2, 3]);
  });
});
