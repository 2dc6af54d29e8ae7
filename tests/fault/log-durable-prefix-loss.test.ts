// Issue 13 item 4: loss inside the durable prefix must not pass for a torn tail.
// Fault model: a closed log whose durable watermark (durable.seq) says N records were durable, then storage damage
// below it: a flipped byte in the last durable record, the newest segment truncated to half, the newest segment
// deleted. What must hold: the writer open refuses (CorruptionError naming segment, offset, seq and the watermark's
// N) and changes no byte; verifyLog reports it; a read-only reader yields what is there and then throws. Torn bytes
// above the watermark are still a torn tail: cut and reported.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/errors.js';
import { Log, segmentFileName, verifyLog } from '../../src/log/index.js';
import { appendBytes, dropTail, fileSize, flipByte, truncateTo } from '../helpers/corrupt.js';
import { buildLog, readUntilError, setWatermark, snapshotDir } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

async function expectLossRefused(dir: string, expected: { file: string; seq: number; durableRecords: number; offset?: number }) {
  const before = await snapshotDir(dir);
  const error = await Log.open(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CorruptionError);
  const corrupt = error as CorruptionError;
  expect(corrupt.details).toMatchObject(expected);
  expect(corrupt.message).toContain(`says ${expected.durableRecords} records were durable`);
  expect(corrupt.message).toContain(expected.file);
  expect(await snapshotDir(dir)).toEqual(before);
  const report = await verifyLog(dir);
  expect(report.ok).toBe(false);
  expect(report.tornTail).toBeUndefined();
  expect(report.errors.some((e) => e.reason.includes(`says ${expected.durableRecords} records were durable`))).toBe(true);
  const reader = await Log.open(dir, { readOnly: true });
  const { entries, error: readError } = await readUntilError(reader);
  await reader.close();
  expect(readError).toBeInstanceOf(CorruptionError);
  expect(entries.length).toBeLessThanOrEqual(expected.seq);
  expect(await snapshotDir(dir)).toEqual(before);
}

describe('log durable prefix loss (issue 13 item 4)', () => {
  it('a flipped byte in the last durable record is corruption, not a torn tail', async () => {
    const dir = await makeTmpDir();
    const positions = await buildLog(dir, 5);
    const seg = join(dir, segmentFileName(0));
    await flipByte(seg, (await fileSize(seg)) - 1, 0x01);
    await expectLossRefused(dir, { file: segmentFileName(0), seq: 4, durableRecords: 5, offset: positions[4]!.offset });
  });

  it('the newest segment truncated to half (about 100 acknowledged records gone) is corruption', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 200);
    const seg = join(dir, segmentFileName(0));
    await truncateTo(seg, Math.floor((await fileSize(seg)) / 2));
    const before = await Log.open(dir, { readOnly: true });
    const kept = before.nextSeq;
    await before.close();
    expect(kept).toBeGreaterThan(50);
    expect(kept).toBeLessThan(150);
    await expectLossRefused(dir, { file: segmentFileName(0), seq: kept, durableRecords: 200 });
  });

  it('the newest segment deleted (the watermark points past the end of the log) is corruption', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 60, { segmentBytesMax: 1024 });
    const log = await Log.open(dir, { readOnly: true });
    const segments = await log.segments();
    await log.close();
    expect(segments.length).toBeGreaterThan(2);
    const newest = segments[segments.length - 1]!;
    await rm(join(dir, newest.name));
    const previous = segments[segments.length - 2]!;
    await expectLossRefused(dir, { file: previous.name, seq: newest.baseSeq, durableRecords: 60 });
  });

  it('the only segment deleted: the log has no segments but the watermark says records were durable', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 5);
    await rm(join(dir, segmentFileName(0)));
    const before = await snapshotDir(dir);
    await expect(Log.open(dir)).rejects.toThrow(/has no segments, but durable.seq says 5 records were durable/);
    expect(await snapshotDir(dir)).toEqual(before);
    expect((await verifyLog(dir)).ok).toBe(false);
  });

  it('torn bytes after the watermark are still cut and reported', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 5);
    const seg = join(dir, segmentFileName(0));
    // A writer that died mid-write: garbage after the last durable record.
    await appendBytes(seg, new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9, 1, 0, 0]));
    expect((await verifyLog(dir)).tornTail).toBeDefined();
    const log = await Log.open(dir);
    expect(log.recovery?.reason).toMatch(/torn-/);
    expect(log.nextSeq).toBe(5);
    await log.close();
  });

  it('a damaged record above an older watermark (its commit was never published) is still a torn tail', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 5);
    await setWatermark(dir, 4);
    await dropTail(join(dir, segmentFileName(0)), 3);
    const log = await Log.open(dir);
    expect(log.recovery?.reason).toMatch(/torn-short-payload/);
    expect(log.nextSeq).toBe(4);
    await log.close();
  });

  it('a sealed segment index bounds the durable records when the watermark is older', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 60, { segmentBytesMax: 1024 });
    const log = await Log.open(dir, { readOnly: true });
    const segments = await log.segments();
    await log.close();
    // The newest segment gone and the watermark lost: the index of the one before it still says how many it held.
    await rm(join(dir, segments[segments.length - 1]!.name));
    await setWatermark(dir, 0);
    const previous = segments[segments.length - 2]!;
    await dropTail(join(dir, previous.name), 3);
    await expect(Log.open(dir)).rejects.toThrow(/\.idx says \d+ records were durable/);
  });
});
