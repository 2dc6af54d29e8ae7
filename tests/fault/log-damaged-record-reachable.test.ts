// Fault model: one or two bytes of a closed log flipped on disk (storage damage), early, in the middle, in the last
// sealed segment, in two places. What must hold (issue 13 item 5): a read-only log opened with skipDamaged reads
// every intact record with its right seq, reports each skipped region (segment, byte range, seqs when provable);
// without it the read still stops with CorruptionError; a writer still refuses to open (and to skip).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, UsageError } from '../../src/errors.js';
import { Log, segmentFileName } from '../../src/log/index.js';
import { flipByte } from '../helpers/corrupt.js';
import { buildLog, isIntact, readAll, readUntilError } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const PAYLOAD_BYTE = 20; // inside the payload of a frame (14-byte header), length field intact

async function damaged(count: number, flips: number[], options: { segmentBytesMax?: number } = {}) {
  const dir = await makeTmpDir();
  const positions = await buildLog(dir, count, options, 64);
  for (const seq of flips) await flipByte(join(dir, positions[seq]!.segment), positions[seq]!.offset + PAYLOAD_BYTE, 0x01);
  return { dir, positions };
}

async function readSkipping(dir: string) {
  const log = await Log.open(dir, { readOnly: true, skipDamaged: true });
  try {
    const entries = await readAll(log);
    return { entries, skipped: log.skipped };
  } finally {
    await log.close();
  }
}

function expectAllBut(entries: { seq: number; tag: number; payload: Uint8Array }[], count: number, lost: number[]) {
  expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: count }, (_, i) => i).filter((s) => !lost.includes(s)));
  expect(entries.every((e) => isIntact(e, 64))).toBe(true);
}

describe('log damaged record reachable (--skip-damaged)', () => {
  it('flip in the first record: the rest is read with the right seqs, the region is reported', async () => {
    const { dir, positions } = await damaged(10, [0]);
    const plain = await Log.open(dir, { readOnly: true });
    const { entries, error } = await readUntilError(plain);
    await plain.close();
    expect(entries).toHaveLength(0);
    expect(error).toBeInstanceOf(CorruptionError);
    const read = await readSkipping(dir);
    expectAllBut(read.entries, 10, [0]);
    expect(read.skipped).toEqual([
      { segment: segmentFileName(0), offset: positions[0]!.offset, endOffset: positions[1]!.offset, seqFrom: 0, seqTo: 0, reason: expect.stringMatching(/checksum/) },
    ]);
  });

  it('flip in the middle and in two places', async () => {
    const read = await readSkipping((await damaged(20, [7, 13])).dir);
    expectAllBut(read.entries, 20, [7, 13]);
    expect(read.skipped.map((r) => [r.seqFrom, r.seqTo])).toEqual([[7, 7], [13, 13]]);
  });

  it('flip in a damaged length field: seqs after it come from the next segment, not guessed', async () => {
    const { dir, positions } = await damaged(40, [], { segmentBytesMax: 1200 });
    const seg = positions[3]!.segment;
    expect(positions.some((p) => p.segment !== seg)).toBe(true);
    await flipByte(join(dir, seg), positions[3]!.offset + 8 + 3, 0x01); // length field, high byte: over the limit
    const read = await readSkipping(dir);
    expectAllBut(read.entries, 40, [3]);
    expect(read.skipped[0]).toMatchObject({ segment: seg, seqFrom: 3, seqTo: 3 });
  });

  it('flip in the last sealed segment (and one in a chunk-sized record)', async () => {
    const { dir, positions } = await damaged(40, [], { segmentBytesMax: 1200 });
    const names = [...new Set(positions.map((p) => p.segment))];
    const lastSealed = names[names.length - 2]!;
    const victim = positions.findIndex((p) => p.segment === lastSealed);
    await flipByte(join(dir, lastSealed), positions[victim]!.offset + PAYLOAD_BYTE, 0x01);
    const read = await readSkipping(dir);
    expectAllBut(read.entries, 40, [victim]);
    expect(read.skipped).toHaveLength(1);
  });

  it('the writer still refuses: it neither opens past damage nor accepts skipDamaged', async () => {
    const { dir } = await damaged(10, [2]);
    await expect(Log.open(dir)).rejects.toBeInstanceOf(CorruptionError);
    await expect(Log.open(dir, { skipDamaged: true })).rejects.toBeInstanceOf(UsageError);
  });
});
