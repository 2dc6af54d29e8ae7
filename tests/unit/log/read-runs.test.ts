// Log.readManyAt and its runs (src/log/read-runs.ts): neighbouring records are read with one pread, and every
// position gives exactly what Log.readAt gives: the same payload, or the same typed error (damage, a position no
// log could hold, past the end), whatever the order, duplicates, hints too small or too large.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, UsageError } from '../../../src/errors.js';
import { Log, type HintedPosition, type RecordReadResult } from '../../../src/log/index.js';
import { planReadRuns, READ_RUN_BYTES_MAX, READ_RUN_GAP_BYTES_MAX } from '../../../src/log/read-runs.js';
import { flipByte } from '../../helpers/corrupt.js';
import { buildLog, recordFor } from '../../helpers/log-fixture.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

function payloadOf(result: RecordReadResult | undefined): Buffer {
  if (!result || 'error' in result) throw new Error(`expected a record, got ${String(result && 'error' in result ? result.error : result)}`);
  return Buffer.from(result.payload);
}

describe('planReadRuns', () => {
  it('joins positions of one segment within the gap and the run limit, in offset order; other segments apart', () => {
    const p = (segment: string, offset: number, payloadBytesHint = 100): HintedPosition => ({ segment, offset, payloadBytesHint });
    // Each hint reads 14 + 100 bytes: 40, 200 and 500 make one run [40, 614); one just past its gap starts another.
    const far = 614 + READ_RUN_GAP_BYTES_MAX + 1;
    const runs = planReadRuns([p('b.seg', 40), p('a.seg', 500), p('a.seg', 40), p('a.seg', far), p('a.seg', 200)]);
    expect(runs.map((run) => [run.segment, run.start, run.end, run.indexes])).toEqual([
      ['a.seg', 40, 614, [2, 4, 1]],
      ['a.seg', far, far + 114, [3]],
      ['b.seg', 40, 154, [0]],
    ]);
    // Next to each other, but together past READ_RUN_BYTES_MAX: two runs; one inside the first run's bytes joins it.
    const big = planReadRuns([p('a.seg', 40, READ_RUN_BYTES_MAX - 100), p('a.seg', 40 + READ_RUN_BYTES_MAX - 50, 1000), p('a.seg', 60, 1000)]);
    expect(big.map((run) => run.indexes)).toEqual([[0, 2], [1]]);
  });
});

describe('Log.readManyAt', () => {
  it('gives every record as readAt does, in the order asked: shuffled, one asked twice, hints too small and too large', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const positions = await buildLog(dir, 60, { segmentBytesMax: 64 * 1024 }, 3000);
    expect(new Set(positions.map((p) => p.segment)).size).toBeGreaterThan(1);
    const log = await Log.open(dir, { readOnly: true });
    try {
      // Shuffled, one asked twice; hints exact-ish, too small (the frame is read again alone) and far too large.
      const asked = [...positions.keys()].reverse().concat([7]);
      const hints = [3100, 10, 200_000];
      const got = await log.readManyAt(asked.map((seq, i) => ({ ...positions[seq]!, payloadBytesHint: hints[i % 3]! })));
      expect(got).toHaveLength(asked.length);
      for (const [i, seq] of asked.entries()) {
        expect(payloadOf(got[i]).equals(Buffer.from(recordFor(seq, 3000).payload))).toBe(true);
        expect((got[i] as { tag: number }).tag).toBe(recordFor(seq, 3000).tag);
      }
    } finally {
      await log.close();
    }
  });

  it('fails only the damaged record, with the error readAt gives; a bad position is a UsageError, one past the end damage', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const positions = await buildLog(dir, 10, {}, 500);
    await flipByte(join(dir, positions[4]!.segment), positions[4]!.offset + 30);
    const log = await Log.open(dir, { readOnly: true });
    try {
      const hinted = positions.map((p) => ({ ...p, payloadBytesHint: 600 }));
      const got = await log.readManyAt([...hinted, { segment: '../etc/passwd', offset: 64, payloadBytesHint: 10 }, { ...hinted[9]!, offset: hinted[9]!.offset + 100_000 }]);
      const readAtError = await log.readAt(positions[4]!).catch((error: unknown) => error);
      expect(readAtError).toBeInstanceOf(CorruptionError);
      for (const [i, result] of got.entries()) {
        if (i === 4) {
          expect('error' in result && result.error).toBeInstanceOf(CorruptionError);
          expect((result as { error: CorruptionError }).error.where).toEqual((readAtError as CorruptionError).where);
        } else if (i === 10) {
          expect('error' in result && result.error).toBeInstanceOf(UsageError);
        } else if (i === 11) {
          expect('error' in result && (result.error as CorruptionError).where.reason).toBe('past-end');
        } else {
          expect(payloadOf(result).equals(Buffer.from(recordFor(i, 500).payload))).toBe(true);
        }
      }
    } finally {
      await log.close();
    }
  });

  it('gives records that keep their bytes while later reads reuse the read buffers: many calls at once, then more', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const positions = await buildLog(dir, 40, {}, 2000);
    const log = await Log.open(dir, { readOnly: true });
    try {
      const hinted = positions.map((p) => ({ ...p, payloadBytesHint: 2100 }));
      // More calls at once than the Log keeps run buffers for: some read into pooled buffers, some into their own.
      const calls = Array.from({ length: 24 }, (_, k) => hinted.slice(k % 20, (k % 20) + 20));
      const first = await Promise.all(calls.map((asked) => log.readManyAt(asked)));
      for (let round = 0; round < 5; round++) await Promise.all(calls.map((asked) => log.readManyAt([...asked].reverse())));
      for (const [k, results] of first.entries()) {
        for (const [i, result] of results.entries()) {
          const seq = (k % 20) + i;
          expect(payloadOf(result).equals(Buffer.from(recordFor(seq, 2000).payload))).toBe(true);
        }
      }
    } finally {
      await log.close();
    }
  });
});

