// Stress: a 1 GiB file (default; COUNT = GiB) is ingested and read back byte-identical with the process's peak RSS
// under 300 MiB, using the built store (dist/, built by stress/run.ts). The test suite runs the same steps with
// 256 MiB (tests/integration/store-large-file.test.ts). Usage: tsx stress/store-large-file.ts [GIB]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LARGE_FILE_RSS_MAX_BYTES, runLargeFileCheck } from '../tests/helpers/large-file.js';

const gib = Number(process.argv[2] ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'synclog-stress-store-'));
try {
  const report = await runLargeFileCheck(dir, gib * 1024 ** 3, 'random');
  process.stdout.write(`${JSON.stringify(report)}\n`);
  const problems: string[] = [];
  if (report.readHash !== report.sourceHash || report.contentId !== report.sourceHash) problems.push('content differs');
  if (report.readBytes !== report.bytes || report.bytes !== gib * 1024 ** 3) problems.push('size differs');
  const peak = Math.max(report.peakRssBytes, report.vmHwmBytes ?? 0);
  if (peak >= LARGE_FILE_RSS_MAX_BYTES) problems.push(`peak RSS ${peak} ≥ ${LARGE_FILE_RSS_MAX_BYTES}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  process.stdout.write(`ok: ${gib} GiB stored and read back, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
