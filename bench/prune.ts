// Prune of a log where half the versions are forgotten, beside `restic forget --prune` with the same policy on the
// same history, in the same run: MB/s (repository bytes before, per second of forget + prune) and bytes freed.
// The history: `files` files of deterministic incompressible content (AES-CTR), `snapshots` snapshots each changing every file,
// recorded by `synclog snapshot` and `restic backup` from the same folder; policy --keep-last snapshots/2 (the
// newest half of every file's versions; restic keeps the newest half of the snapshots: the same content).
// Each run prunes a fresh copy of the two repositories (copying is not timed). The load average is recorded
// beside the figures: this machine is shared, so only the ratio against restic in the same run means anything.
// Run alone: npx tsx bench/prune.ts [--quick] [--runs N]; the harness (bench/run.ts) calls runPruneBench.
import { execFile } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs } from './lib/bench-row.js';
import { megabytesPerSecond } from './lib/stats.js';
import { renderTable } from './lib/table.js';

const run = promisify(execFile);
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESTIC_ENV = { ...process.env, RESTIC_PASSWORD: 'synclog-bench', SYNCLOG_NO_PROGRESS: '1' };

/** Deterministic incompressible bytes (AES-128-CTR of zeros keyed by the seed): no dedup across seeds, no compression. */
function contentFor(size: number, seed: number): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed, 0);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await treeBytes(path) : (await stat(path)).size;
  }
  return total;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function synclog(repoRoot: string, args: string[]): Promise<{ stdout: string }> {
  return run(process.execPath, [join(repoRoot, 'bin', 'synclog.js'), ...args], { env: RESTIC_ENV, maxBuffer: 64 * 1024 * 1024 });
}

async function resticAvailable(): Promise<string | undefined> {
  try {
    await run('restic', ['version']);
    return undefined;
  } catch {
    return 'restic is not installed';
  }
}

export async function runPruneBench(options: BenchModuleOptions): Promise<BenchRow[]> {
  const files = options.quick ? 16 : 32;
  const fileBytes = options.quick ? 512 * 1024 : 1024 * 1024;
  const snapshots = options.quick ? 6 : 8;
  const runs = Math.max(1, options.runs || (options.quick ? 2 : 3));
  const keep = String(snapshots / 2);
  const work = options.workDir;
  const source = join(work, 'source');
  const templates = { synclog: join(work, 'synclog-template'), restic: join(work, 'restic-template') };
  await mkdir(source, { recursive: true });
  const missing = await resticAvailable();
  if (!missing) await run('restic', ['init', '--repo', templates.restic], { env: RESTIC_ENV });
  for (let s = 0; s < snapshots; s++) {
    for (let f = 0; f < files; f++) await writeFile(join(source, `f${f}.bin`), contentFor(fileBytes, s * 1000 + f + 1));
    await synclog(options.repoRoot, ['snapshot', '--log', templates.synclog, source]);
    if (!missing) await run('restic', ['backup', '--repo', templates.restic, source], { env: RESTIC_ENV });
  }
  const samples = { synclogMbps: [] as number[], resticMbps: [] as number[], synclogFreed: [] as number[], resticFreed: [] as number[], load: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const synclogDir = join(work, `synclog-${i}`);
    await cp(templates.synclog, synclogDir, { recursive: true });
    const before = await treeBytes(synclogDir);
    samples.load.push(loadavg()[0]!);
    const seconds = await timed(async () => {
      await synclog(options.repoRoot, ['forget', '--log', synclogDir, '--keep-last', keep]);
      await synclog(options.repoRoot, ['prune', '--log', synclogDir, '--max-unused', '0']);
    });
    samples.synclogMbps.push(megabytesPerSecond(before, seconds));
    samples.synclogFreed.push((before - (await treeBytes(synclogDir))) / 1e6);
    await rm(synclogDir, { recursive: true, force: true });
    if (missing) continue;
    const resticDir = join(work, `restic-${i}`);
    await cp(templates.restic, resticDir, { recursive: true });
    const resticBefore = await treeBytes(resticDir);
    const resticSeconds = await timed(() => run('restic', ['forget', '--repo', resticDir, '--keep-last', keep, '--prune', '--max-unused', '0'], { env: RESTIC_ENV }));
    samples.resticMbps.push(megabytesPerSecond(resticBefore, resticSeconds));
    samples.resticFreed.push((resticBefore - (await treeBytes(resticDir))) / 1e6);
    await rm(resticDir, { recursive: true, force: true });
  }
  const load = `load average (1 min) at each run: ${samples.load.map((l) => l.toFixed(1)).join(', ')}`;
  const data = `${files} files × ${fileBytes / 1024} KiB × ${snapshots} snapshots, --keep-last ${keep}, --max-unused 0`;
  const peer = (values: number[]) => (missing ? { tool: 'restic', samples: [], note: missing } : { tool: 'restic', samples: values });
  return [
    { name: `forget + prune, half the versions forgotten (${data})`, unit: 'MB/s', higherIsBetter: true, series: [{ tool: 'synclog', samples: samples.synclogMbps }, peer(samples.resticMbps)], note: `MB/s = repository bytes before / seconds of forget + prune (both CLIs, start-up included); ${load}` },
    { name: `bytes freed by that prune (${data})`, unit: 'MB', higherIsBetter: true, series: [{ tool: 'synclog', samples: samples.synclogFreed }, peer(samples.resticFreed)] },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cli = moduleOptionsFromArgs(process.argv.slice(2));
  const workDir = join(tmpdir(), `synclog-bench-prune-${process.pid}`);
  await rm(workDir, { recursive: true, force: true });
  try {
    const rows = await runPruneBench({ quick: cli.quick ?? false, runs: cli.runs ?? 0, workDir, repoRoot: REPO_ROOT });
    process.stdout.write(renderTable(rows) + '\n');
    for (const row of rows) if (row.note) process.stdout.write(`${row.note}\n`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
