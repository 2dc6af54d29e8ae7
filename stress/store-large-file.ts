// Stress: a 1 GiB file (default; COUNT = GiB) is ingested and read back byte-identical with the process's peak RSS
// under 300 MiB, using the built store (dist/, built by stress/run.ts). The test suite runs the same child with
// 256 MiB (tests/integration/store-large-file.test.ts). Usage: tsx stress/store-large-file.ts [GIB]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RSS_MAX_BYTES = 300 * 1024 * 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const gib = Number(process.argv[2] ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'synclog-stress-store-'));
try {
  const child = join(root, 'tests/helpers/large-file-child.mjs');
  const result = spawnSync(process.execPath, [child, dir, String(gib * 1024 ** 3), 'random'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`child failed (${result.status ?? result.signal}): ${result.stderr}`);
  const report = JSON.parse(result.stdout.trim()) as Record<string, number | string>;
  process.stdout.write(`${JSON.stringify(report)}\n`);
  const problems: string[] = [];
  if (report.readHash !== report.sourceHash || report.contentId !== report.sourceHash) problems.push('content differs');
  if (report.readBytes !== report.bytes) problems.push('size differs');
  if (Number(report.peakRssBytes) >= RSS_MAX_BYTES) problems.push(`peak RSS ${report.peakRssBytes} ≥ ${RSS_MAX_BYTES}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  process.stdout.write(`ok: ${gib} GiB stored and read back, peak RSS ${(Number(report.peakRssBytes) / 2 ** 20).toFixed(0)} MiB\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
