// `prune --max-unused P` settles in one run: the unused bytes it leaves are at most P of the log as it leaves it,
// not of the log it started from, so a second prune with the same P has nothing left to do. (Measured against the
// log before, a prune that freed half the log left up to twice P unused, and each later run pruned again.) A prune
// with nothing to do writes nothing.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRetentionLog } from '../helpers/retention-log.js';
import { checkKeptContent, verifyOk } from '../helpers/retention-check.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

interface PruneJson {
  segmentsRewritten: number;
  bytesAfter: number;
  unusedBytesAfter: number;
  versionsRemoved: number;
  chunksRemoved: number;
}

const BYTES = 40 * 1024;

async function prune(logDir: string, maxUnused: string): Promise<PruneJson> {
  const run = await runCli(['prune', '--log', logDir, '--max-unused', maxUnused, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as PruneJson;
}

describe('prune --max-unused settles in one run', () => {
  for (const percent of [5, 10, 20]) {
    it(`at ${percent}%: the unused bytes left are within ${percent}% of the pruned log, and a second prune removes nothing`, { timeout: 120_000 }, async () => {
      const logDir = join(await makeTmpDir(), 'log');
      const built = await buildRetentionLog(logDir, { paths: 4, versions: 12, bytes: BYTES, segmentBytesMax: 96 * 1024 });
      const forget = await runCli(['forget', '--log', logDir, '--keep-last', '3']);
      expect(forget.code, forget.stderr).toBe(0);

      const first = await prune(logDir, `${percent}%`);
      expect(first.versionsRemoved).toBeGreaterThan(0);
      expect(first.unusedBytesAfter).toBeLessThanOrEqual((percent / 100) * first.bytesAfter);

      // A version recorded after the first prune: the newest segment holds records again, so a prune that sealed it
      // regardless would leave a new segment behind.
      const later = await buildRetentionLog(logDir, { paths: 4, versions: 1, bytes: BYTES, segmentBytesMax: 96 * 1024, firstVersion: 12 });
      const files = (await readdir(logDir)).sort();
      const second = await prune(logDir, `${percent}%`);
      // Nothing to do writes nothing: no rollover, no new small segment.
      expect((await readdir(logDir)).sort()).toEqual(files);
      expect({ segments: second.segmentsRewritten, versions: second.versionsRemoved, chunks: second.chunksRemoved }).toEqual({ segments: 0, versions: 0, chunks: 0 });

      await verifyOk(logDir);
      await checkKeptContent(logDir, [...built.slice(-4 * 3), ...later], BYTES);
    });
  }
});
