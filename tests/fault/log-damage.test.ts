// Fault model: bytes of a closed log changed on disk (torn tails a dying writer leaves; flipped bytes, garbage,
// copied frames and missing segments that storage damage leaves). What must hold: a torn tail of the newest segment
// is cut on open and reported (nothing else is cut); anything else is CorruptionError naming segment, offset and seq;
// readers stop right before damage; verifyLog lists it; read-only opens never change a byte.
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, FormatVersionError } from '../../src/errors.js';
import { Log, segmentFileName, verifyLog } from '../../src/log/index.js';
import { FORMAT_VERSION, FORMAT_VERSIONS_READABLE } from '../../src/log/format.js';
import { appendBytes, dropTail, fileSize, flipByte, readBytes, setU32, truncateTo } from '../helpers/corrupt.js';
import { buildLog, copyLog, isIntact, readAll, readUntilError, recordFor, setWatermark } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const SEG0 = segmentFileName(0);

async function fiveRecords() {
  const dir = await makeTmpDir();
  const positions = await buildLog(dir, 5);
  return { dir, positions, seg: join(dir, SEG0), size: await fileSize(join(dir, SEG0)) };
}

/**
 * Five records, the last one's commit never published (the writer died between its write and the watermark update):
 * damage to it is what a dying writer leaves, a torn tail. Below the watermark it would be loss (log-durable-prefix-loss).
 */
async function tornFiveRecords() {
  const built = await fiveRecords();
  await setWatermark(built.dir, 4);
  return built;
}

async function expectRecoversTo(dir: string, records: number, reason: RegExp) {
  const log = await Log.open(dir);
  expect(log.recovery?.reason).toMatch(reason);
  expect(log.nextSeq).toBe(records);
  const entries = await readAll(log);
  expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: records }, (_, i) => i));
  expect(entries.every((e) => isIntact(e))).toBe(true);
  expect((await log.append(recordFor(records))).seq).toBe(records);
  await log.close();
  expect((await verifyLog(dir)).ok).toBe(true);
}

describe('torn tail shapes (cut on open, reported)', () => {
  it('tail cut inside the last frame header', async () => {
    const { dir, positions, seg } = await tornFiveRecords();
    await truncateTo(seg, positions[4]!.offset + 5);
    await expectRecoversTo(dir, 4, /torn-short-header/);
  });

  it('tail cut inside the last payload', async () => {
    const { dir, seg } = await tornFiveRecords();
    await dropTail(seg, 3);
    await expectRecoversTo(dir, 4, /torn-short-payload/);
  });

  it('last frame with a flipped payload byte', async () => {
    const { dir, seg, size } = await tornFiveRecords();
    await flipByte(seg, size - 1, 0x01);
    await expectRecoversTo(dir, 4, /torn-checksum-mismatch/);
  });

  it('zeros after the last frame (file extended, never written)', async () => {
    const { dir, seg } = await tornFiveRecords();
    await appendBytes(seg, new Uint8Array(4096));
    await expectRecoversTo(dir, 5, /torn-/);
  });

  it('garbage after the last frame', async () => {
    const { dir, seg } = await tornFiveRecords();
    await appendBytes(seg, Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
    await expectRecoversTo(dir, 5, /torn-/);
  });

  it('last frame claiming a length over the record limit', async () => {
    const { dir, positions, seg } = await tornFiveRecords();
    await setU32(seg, positions[4]!.offset + 8, 0xffffffff);
    await expectRecoversTo(dir, 4, /torn-length-over-limit/);
  });

  it('frame copied from another segment at the tail fails the salted checksum', async () => {
    const { dir, positions, seg, size } = await tornFiveRecords();
    const other = await makeTmpDir();
    const otherPositions = await buildLog(other, 1);
    const otherSeg = join(other, SEG0);
    const frame = await readBytes(otherSeg, otherPositions[0]!.offset, (await fileSize(otherSeg)) - otherPositions[0]!.offset);
    await appendBytes(seg, frame);
    const report = await verifyLog(dir);
    expect(report.ok).toBe(true);
    expect(report.tornTail).toMatchObject({ segment: SEG0, offset: size, reason: 'torn-checksum-mismatch' });
    expect(positions.length).toBe(5);
    await expectRecoversTo(dir, 5, /torn-checksum-mismatch/);
  });

  it('unfinished atomic group at the tail', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    await log.appendMany([recordFor(0), recordFor(1)]);
    const group = await log.appendAtomic([recordFor(2), recordFor(3), recordFor(4)]);
    await log.close();
    // The writer died before the group's commit was published.
    await setWatermark(dir, 2);
    await truncateTo(join(dir, SEG0), group[2]!.offset);
    const report = await verifyLog(dir);
    expect(report.tornTail).toMatchObject({ offset: group[0]!.offset, reason: 'unfinished-atomic-group' });
    await expectRecoversTo(dir, 2, /unfinished-atomic-group/);
  });

  it('truncating the last record at every byte offset recovers to the record before it', async () => {
    const { dir, positions, size } = await tornFiveRecords();
    const last = positions[4]!.offset;
    for (let cut = last; cut < size; cut++) {
      const copy = await makeTmpDir();
      await copyLog(dir, copy);
      await truncateTo(join(copy, SEG0), cut);
      const log = await Log.open(copy);
      expect(log.recovery === undefined).toBe(cut === last);
      if (log.recovery) expect(log.recovery).toMatchObject({ segment: SEG0, offset: last, bytesCut: cut - last });
      expect(log.nextSeq).toBe(4);
      expect((await log.append(recordFor(4))).seq).toBe(4);
      const entries = await readAll(log);
      expect(entries.length).toBe(5);
      expect(entries.every((e) => isIntact(e))).toBe(true);
      await log.close();
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('a read-only open at a torn tail reads what is whole and changes nothing', async () => {
    const { dir, seg } = await tornFiveRecords();
    await dropTail(seg, 2);
    const before = await readFile(seg);
    const reader = await Log.open(dir, { readOnly: true });
    expect(reader.nextSeq).toBe(4);
    expect((await readAll(reader)).length).toBe(4);
    await reader.close();
    expect(Buffer.compare(before, await readFile(seg))).toBe(0);
  });
});

describe('mid-log damage (CorruptionError, nothing cut)', () => {
  it('every flipped byte of an early record is named exactly, in the newest segment', async () => {
    const { dir, positions, size } = await fiveRecords();
    const target = positions[1]!;
    for (let at = target.offset; at < positions[2]!.offset; at++) {
      const copy = await makeTmpDir();
      await copyLog(dir, copy);
      await flipByte(join(copy, SEG0), at);
      const report = await verifyLog(copy);
      expect(report.ok, `flip at ${at}`).toBe(false);
      expect(report.errors).toEqual([expect.objectContaining({ segment: SEG0, offset: target.offset, seq: 1 })]);
      const reader = await Log.open(copy, { readOnly: true });
      const { entries, error } = await readUntilError(reader);
      await reader.close();
      expect(entries.map((e) => e.seq)).toEqual([0]);
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where).toMatchObject({ file: SEG0, offset: target.offset, seq: 1 });
      const opened = await Log.open(copy).catch((e: unknown) => e);
      expect(opened).toBeInstanceOf(CorruptionError);
      expect((opened as CorruptionError).where).toMatchObject({ file: SEG0, offset: target.offset });
      expect(await fileSize(join(copy, SEG0))).toBe(size);
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('damage in a sealed segment: readers stop before it, verify names it', async () => {
    const dir = await makeTmpDir();
    const positions = await buildLog(dir, 40, { segmentBytesMax: 512 });
    const segments = [...new Set(positions.map((p) => p.segment))];
    expect(segments.length).toBeGreaterThan(2);
    const victim = positions.find((p) => p.segment === segments[1] && p.seq > positions.find((q) => q.segment === segments[1])!.seq)!;
    await flipByte(join(dir, victim.segment), victim.offset + 20, 0x04);
    const report = await verifyLog(dir);
    expect(report.errors).toEqual([expect.objectContaining({ segment: victim.segment, offset: victim.offset, seq: victim.seq })]);
    const reader = await Log.open(dir, { readOnly: true });
    const { entries, error } = await readUntilError(reader);
    expect(entries.length).toBe(victim.seq);
    expect((error as CorruptionError).where).toMatchObject({ file: victim.segment, offset: victim.offset, seq: victim.seq });
    // Reading from past the damage works (the index or a scan of the next segment).
    const later = await readAll(reader, { fromSeq: positions.find((p) => p.segment === segments[2])!.seq });
    expect(later.length).toBeGreaterThan(0);
    await reader.close();
  });

  it('several damaged records in one segment: verify names each of them, not only the first', async () => {
    const dir = await makeTmpDir();
    const positions = await buildLog(dir, 30);
    const victims = [positions[4]!, positions[12]!, positions[25]!];
    for (const victim of victims) await flipByte(join(dir, SEG0), victim.offset + 20, 0x04);
    const report = await verifyLog(dir);
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.offset)).toEqual(victims.map((v) => v.offset));
    // The first damage has a known seq; after it, seqs in this segment are unknown and not guessed.
    expect(report.errors[0]).toMatchObject({ segment: SEG0, seq: victims[0]!.seq });
    expect(report.errors.slice(1).every((e) => e.seq === undefined)).toBe(true);
    // Every record but the three damaged ones is counted.
    expect(report.records).toBe(positions.length - victims.length);
  });

  it('a missing middle segment is a gap verify and readers name', async () => {
    const dir = await makeTmpDir();
    const positions = await buildLog(dir, 40, { segmentBytesMax: 512 });
    const segments = [...new Set(positions.map((p) => p.segment))];
    await rm(join(dir, segments[1]!));
    const report = await verifyLog(dir);
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatchObject({ segment: segments[2] });
    const reader = await Log.open(dir, { readOnly: true });
    const { error } = await readUntilError(reader);
    expect(error).toBeInstanceOf(CorruptionError);
    await reader.close();
  });

  it('a damaged newest segment header refuses open', async () => {
    const { dir, seg } = await fiveRecords();
    await flipByte(seg, 25);
    await expect(Log.open(dir)).rejects.toBeInstanceOf(CorruptionError);
    expect((await verifyLog(dir)).errors[0]).toMatchObject({ segment: SEG0, offset: 0 });
  });

  it('a segment of an unknown format version is FormatVersionError, never guessed at', async () => {
    const { dir, seg } = await fiveRecords();
    await flipByte(seg, 8, FORMAT_VERSION ^ 9); // the u16 version's low byte becomes 9: a version no synclog wrote
    const error = await Log.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatVersionError);
    expect((error as FormatVersionError).details).toMatchObject({ file: SEG0, found: 9, supported: [...FORMAT_VERSIONS_READABLE] });
    await expect(Log.open(dir, { readOnly: true })).rejects.toBeInstanceOf(FormatVersionError);
    expect((await verifyLog(dir)).errors[0]).toMatchObject({ segment: SEG0, offset: 0 });
  });

  it('a damaged index file is ignored', async () => {
    const dir = await makeTmpDir();
    const positions = await buildLog(dir, 40, { segmentBytesMax: 512 });
    const first = positions[0]!.segment.replace('.seg', '.idx');
    expect((await stat(join(dir, first))).size).toBeGreaterThan(0);
    await flipByte(join(dir, first), 45);
    const log = await Log.open(dir, { readOnly: true });
    expect((await readAll(log, { fromSeq: 3 })).map((e) => e.seq)).toEqual(Array.from({ length: 37 }, (_, i) => i + 3));
    await log.close();
  });
});
