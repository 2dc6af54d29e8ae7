// Pure codecs of the log on in-memory bytes: segment names, segment header, frames.
import { beforeAll, describe, expect, it } from 'vitest';
import { initChecksum } from '../../../src/log/checksum.js';
import { FRAME_FLAGS, FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from '../../../src/log/format.js';
import { decodeFrame, decodeFrameHeader, encodeFrame } from '../../../src/log/frame.js';
import { decodeSegmentHeader, encodeSegmentHeader } from '../../../src/log/segment-header.js';
import { indexFileName, parseSegmentFileName, segmentFileName } from '../../../src/log/segment-name.js';
import { LIMITS } from '../../../src/util/limits.js';

beforeAll(async () => {
  await initChecksum();
});

describe('segment names', () => {
  it('pads the base seq to 20 digits', () => {
    expect(segmentFileName(0)).toBe('00000000000000000000.seg');
    expect(segmentFileName(1234)).toBe('00000000000000001234.seg');
    expect(indexFileName(segmentFileName(7))).toBe('00000000000000000007.idx');
  });
  it('round-trips and refuses anything else', () => {
    for (const seq of [0, 1, 99, 2 ** 40, Number.MAX_SAFE_INTEGER]) expect(parseSegmentFileName(segmentFileName(seq))).toBe(seq);
    for (const bad of ['0.seg', '00000000000000000000.idx', '00000000000000000000.seg.tmp', '../00000000000000000000.seg', '99999999999999999999.seg', 'x0000000000000000000.seg']) {
      expect(parseSegmentFileName(bad)).toBeUndefined();
    }
  });
});

describe('segment header', () => {
  it('round-trips base seq and salt', () => {
    const bytes = encodeSegmentHeader(42, 0x0123456789abcdefn);
    expect(bytes.length).toBe(SEGMENT_HEADER_BYTES);
    expect(decodeSegmentHeader(bytes)).toEqual({ kind: 'header', header: { formatVersion: 2, checksumAlgorithm: 1, baseSeq: 42, salt: 0x0123456789abcdefn } });
  });
  it('reports a short header as incomplete', () => {
    expect(decodeSegmentHeader(encodeSegmentHeader(1, 1n).subarray(0, 39)).kind).toBe('incomplete');
  });
  it('refuses bad magic, a flipped byte, and an unknown version', () => {
    const magic = encodeSegmentHeader(1, 1n);
    magic[0] = 0;
    expect(decodeSegmentHeader(magic)).toEqual({ kind: 'bad', reason: 'bad-magic' });
    const flipped = encodeSegmentHeader(1, 1n);
    flipped[20]! ^= 1;
    expect(decodeSegmentHeader(flipped)).toEqual({ kind: 'bad', reason: 'header-checksum-mismatch' });
    const future = encodeSegmentHeader(1, 1n);
    future[8] = 9;
    expect(decodeSegmentHeader(future)).toEqual({ kind: 'unsupported', found: 9 });
  });
});

describe('frame', () => {
  const salt = 0xfeedfacecafebeefn;
  it('round-trips tag, flags and payload', () => {
    const payload = new TextEncoder().encode('hello');
    const frame = encodeFrame(7, FRAME_FLAGS.middle, payload, salt);
    expect(frame.length).toBe(FRAME_HEADER_BYTES + 5);
    const result = decodeFrame(frame, 0, salt);
    expect(result.kind).toBe('frame');
    if (result.kind !== 'frame') return;
    expect(result.header.tag).toBe(7);
    expect(result.header.flags).toBe(FRAME_FLAGS.middle);
    expect([...result.payload]).toEqual([...payload]);
  });
  it('round-trips an empty payload', () => {
    const result = decodeFrame(encodeFrame(0, FRAME_FLAGS.full, new Uint8Array(0), salt), 0, salt);
    expect(result.kind === 'frame' && result.payload.length).toBe(0);
  });
  it('fails the checksum under another segment salt', () => {
    const frame = encodeFrame(1, FRAME_FLAGS.full, new Uint8Array([1, 2, 3]), salt);
    expect(decodeFrame(frame, 0, salt + 1n)).toEqual({ kind: 'bad', reason: 'checksum-mismatch' });
  });
  it('refuses a length over the record limit before reading on', () => {
    const frame = encodeFrame(1, FRAME_FLAGS.full, new Uint8Array(4), salt);
    new DataView(frame.buffer).setUint32(8, LIMITS.recordBytesMax + 1, true);
    expect(decodeFrameHeader(frame, 0)).toEqual({ kind: 'bad', reason: 'length-over-limit' });
  });
  it('refuses unknown flag bits', () => {
    const frame = encodeFrame(1, FRAME_FLAGS.full, new Uint8Array(4), salt);
    frame[13] = 0x10;
    expect(decodeFrame(frame, 0, salt)).toEqual({ kind: 'bad', reason: 'bad-flags' });
  });
  it('calls a cut frame incomplete', () => {
    const frame = encodeFrame(1, FRAME_FLAGS.full, new Uint8Array(100), salt);
    expect(decodeFrame(frame.subarray(0, 10), 0, salt)).toEqual({ kind: 'incomplete', reason: 'short-header' });
    expect(decodeFrame(frame.subarray(0, 50), 0, salt).kind).toBe('incomplete');
  });
});
