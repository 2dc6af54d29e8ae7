// SegmentReaderSync: the synchronous read-by-position a content-writer thread uses. It must return exactly what
// Log.readAt returns, and fail on the same damage with the same typed error (segment and offset named).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, IoError, UsageError } from '../../../src/errors.js';
import { Log, SegmentReaderSync } from '../../../src/log/index.js';
import { LOG_LIMITS } from '../../../src/util/limits.js';
import { flipByte, truncateTo } from '../../helpers/corrupt.js';
import { buildLog, recordFor } from '../../helpers/log-fixture.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

describe('SegmentReaderSync', () => {
  it('reads every record exactly as Log.readAt does, with any size hint (one read or two)', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const positions = await buildLog(dir, 40, {}, 3000);
    const log = await Log.open(dir, { readOnly: true });
    const reader = await SegmentReaderSync.open(dir);
    try {
      for (const [seq, position] of positions.entries()) {
        const expected = await log.readAt(position);
        for (const hint of [0, 10, 100_000]) {
          const got = reader.readAt(position, hint);
          expect(got.tag).toBe(expected.tag);
          expect(Buffer.from(got.payload).equals(Buffer.from(expected.payload))).toBe(true);
          expect(got.tag).toBe(recordFor(seq, 3000).tag);
        }
      }
    } finally {
      reader.close();
      await log.close();
    }
  });

  it('keeps at most readHandlesMax segments open and still reads from all of them', async () => {
    const dir = join(await makeTmpDir(), 'log');
    // Tiny segments (two records each): more segments than the handle limit.
    const positions = await buildLog(dir, 2 * (LOG_LIMITS.readHandlesMax + 8), { segmentBytesMax: 200 }, 120);
    expect(new Set(positions.map((p) => p.segment)).size).toBeGreaterThan(LOG_LIMITS.readHandlesMax);
    const reader = await SegmentReaderSync.open(dir);
    try {
      for (let round = 0; round < 2; round++) {
        for (const [seq, position] of positions.entries()) {
          expect(Buffer.from(reader.readAt(position).payload).equals(Buffer.from(recordFor(seq, 120).payload))).toBe(true);
        }
      }
    } finally {
      reader.close();
    }
  });

  it('names the segment and offset of a flipped payload byte (checksum mismatch)', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const positions = await buildLog(dir, 5, {}, 500);
    const target = positions[2]!;
    await flipByte(join(dir, target.segment), target.offset + 14 + 100);
    const reader = await SegmentReaderSync.open(dir);
    try {
      expect(() => reader.readAt(positions[1]!)).not.toThrow();
      let error: unknown;
      try {
        reader.readAt(target, 600);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where).toMatchObject({ file: target.segment, offset: target.offset, reason: 'checksum-mismatch' });
    } finally {
      reader.close();
    }
  });

  it('fails past the end, on a cut record, a bad name and a missing segment, each with its own error', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const positions = await buildLog(dir, 3, {}, 500);
    const last = positions[2]!;
    await truncateTo(join(dir, last.segment), last.offset + 20);
    const reader = await SegmentReaderSync.open(dir);
    try {
      expect(() => reader.readAt(last)).toThrow(expect.objectContaining({ where: expect.objectContaining({ reason: 'short-payload', offset: last.offset }) }));
      expect(() => reader.readAt({ segment: last.segment, offset: last.offset + 5000 })).toThrow(expect.objectContaining({ where: expect.objectContaining({ reason: 'past-end' }) }));
      expect(() => reader.readAt({ segment: '../etc/passwd', offset: 64 })).toThrow(UsageError);
      expect(() => reader.readAt({ segment: last.segment, offset: 3 })).toThrow(UsageError);
      expect(() => reader.readAt({ segment: '00000000000099999999.seg', offset: 64 })).toThrow(IoError);
    } finally {
      reader.close();
    }
  });

  it('refuses a segment whose header is damaged', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const positions = await buildLog(dir, 2);
    await flipByte(join(dir, positions[0]!.segment), 0);
    const reader = await SegmentReaderSync.open(dir);
    try {
      expect(() => reader.readAt(positions[0]!)).toThrow(CorruptionError);
    } finally {
      reader.close();
    }
  });
});
