// Property tests over the frame codec: random payloads round-trip; decoding any prefix of a run of frames, or a
// run with a byte changed, never throws, never returns a record that was not written there, and stops at the cut.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initChecksum } from '../../../src/log/checksum.js';
import { FRAME_FLAGS, type FrameFlags } from '../../../src/log/format.js';
import { decodeFrame, encodeFrame } from '../../../src/log/frame.js';

beforeAll(async () => {
  await initChecksum();
});

const frameArb = fc.record({
  tag: fc.integer({ min: 0, max: 255 }),
  flags: fc.constantFrom<FrameFlags>(FRAME_FLAGS.full, FRAME_FLAGS.first, FRAME_FLAGS.middle, FRAME_FLAGS.last),
  payload: fc.uint8Array({ maxLength: 300 }),
});
const saltArb = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

function concat(parts: Uint8Array[]): { bytes: Uint8Array; offsets: number[] } {
  const offsets: number[] = [];
  let size = 0;
  for (const p of parts) {
    offsets.push(size);
    size += p.length;
  }
  const bytes = new Uint8Array(size);
  parts.forEach((p, i) => bytes.set(p, offsets[i]!));
  return { bytes, offsets };
}

/** Decodes frames from 0 until something other than a frame; returns the frames and the stop. */
function decodeRun(bytes: Uint8Array, salt: bigint) {
  const frames: { offset: number; tag: number; flags: number; payload: Uint8Array }[] = [];
  let at = 0;
  for (;;) {
    if (at === bytes.length) return { frames, stop: 'end' as const };
    const r = decodeFrame(bytes, at, salt);
    if (r.kind !== 'frame') return { frames, stop: r.kind };
    frames.push({ offset: at, tag: r.header.tag, flags: r.header.flags, payload: r.payload });
    at += r.frameBytes;
  }
}

describe('frame codec properties', () => {
  it('round-trips any tag, flags and payload', () => {
    fc.assert(
      fc.property(frameArb, saltArb, (f, salt) => {
        const r = decodeFrame(encodeFrame(f.tag, f.flags, f.payload, salt), 0, salt);
        expect(r.kind).toBe('frame');
        if (r.kind !== 'frame') return;
        expect(r.header.tag).toBe(f.tag);
        expect(r.header.flags).toBe(f.flags);
        expect(Buffer.from(r.payload).equals(Buffer.from(f.payload))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('any prefix decodes to exactly the complete frames before the cut, then stops as incomplete', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), saltArb, fc.nat(), (frames, salt, cutSeed) => {
        const { bytes, offsets } = concat(frames.map((f) => encodeFrame(f.tag, f.flags, f.payload, salt)));
        const cut = cutSeed % (bytes.length + 1);
        const run = decodeRun(bytes.subarray(0, cut), salt);
        const complete = offsets.filter((o, i) => o + (offsets[i + 1] ?? bytes.length) - o <= cut && (offsets[i + 1] ?? bytes.length) <= cut).length;
        expect(run.frames.length).toBe(complete);
        run.frames.forEach((got, i) => {
          expect(got.offset).toBe(offsets[i]);
          expect(got.tag).toBe(frames[i]!.tag);
          expect(Buffer.from(got.payload).equals(Buffer.from(frames[i]!.payload))).toBe(true);
        });
        expect(run.stop).toBe(cut === (offsets[complete] ?? bytes.length) ? 'end' : 'incomplete');
      }),
      { numRuns: 300 },
    );
  });

  it('a changed byte never yields a wrong record: frames before it are exact, the damaged one is refused', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), saltArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (frames, salt, atSeed, mask) => {
        const { bytes, offsets } = concat(frames.map((f) => encodeFrame(f.tag, f.flags, f.payload, salt)));
        const at = atSeed % bytes.length;
        const damaged = bytes.slice();
        damaged[at] = damaged[at]! ^ mask;
        const run = decodeRun(damaged, salt);
        const victim = offsets.filter((o) => o <= at).length - 1;
        expect(run.frames.length).toBe(victim);
        run.frames.forEach((got, i) => expect(Buffer.from(got.payload).equals(Buffer.from(frames[i]!.payload))).toBe(true));
        expect(run.stop === 'bad' || run.stop === 'incomplete').toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('decoding random bytes at any offset never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), saltArb, (bytes, atSeed, salt) => {
        const at = bytes.length === 0 ? 0 : atSeed % bytes.length;
        const r = decodeFrame(bytes, at, salt);
        expect(['frame', 'incomplete', 'bad']).toContain(r.kind);
      }),
      { numRuns: 500 },
    );
  });
});
