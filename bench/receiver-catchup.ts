// The receiver's speed, against the tools a user would use instead, on the same data in the same run:
//  - catch-up: `synclog receive --once --mode latest` of a log holding the generated corpus into an empty folder,
//    vs `cp -a` and `rsync -a` of the corpus itself into an empty folder. MB/s and files/s; each timing ends after a
//    system-wide `sync` (rsync and cp do not fsync; synclog makes its data durable with one `sync -f` per batch of
//    files before renaming them into place), with the page cache dropped first when permitted.
//    The synclog tree is checked against the corpus (paths, sizes, sha256) before its time counts.
//  - live lag: `synclog watch` and `synclog receive` running together; a writer creates files at a steady pace; lag
//    is from the write returning to the receiver printing the applied change (same machine, same clock). p50, p99.
//    The watcher waits `debounce` ms of quiet before reading a file, so the target is p99 < debounce + 250 ms.
// Run alone: npx tsx bench/receiver-catchup.ts [--quick] [--runs N]; the harness calls runReceiverCatchupBench.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WATCH_LIMITS } from '../src/util/limits.js';
import { type BenchModuleOptions, type BenchRow, type BenchSeries, moduleOptionsFromArgs } from './lib/bench-row.js';
import { runChecked, timedRun } from './lib/child-process.js';
import { CORPUS_SPECS } from './lib/corpus-plan.js';
import { ensureCorpus } from './lib/corpus.js';
import { PageCache } from './lib/machine.js';
import { renderTable } from './lib/table.js';
import { compareTrees, hashTree } from './lib/tree-digest.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface CatchUpTool {
  tool: string;
  run(source: string, logDir: string, out: string): Promise<unknown>;
}

function tools(cli: string): CatchUpTool[] {
  return [
    { tool: 'synclog', run: (_source, logDir, out) => runChecked(process.execPath, [cli, 'receive', '--log', logDir, '--out', out, '--once', '--json'], { timeoutMs: 30 * 60_000 }) },
    { tool: 'cp -a', run: (source, _logDir, out) => runChecked('cp', ['-a', source, out]) },
    { tool: 'rsync -a', run: (source, _logDir, out) => runChecked('rsync', ['-a', `${source}/`, `${out}/`]) },
  ];
}

async function hasProgram(program: string): Promise<boolean> {
  return runChecked(program, ['--version']).then(
    () => true,
    () => false,
  );
}

/** Catch-up rows: MB/s and files/s for synclog, cp -a and rsync -a. */
async function catchUpRows(options: { quick: boolean; runs: number; workDir: string; repoRoot: string }): Promise<BenchRow[]> {
  const spec = options.quick ? CORPUS_SPECS.quick : CORPUS_SPECS.full;
  const corpus = await ensureCorpus(spec, join(options.repoRoot, 'bench', '.cache'));
  const cli = join(options.repoRoot, 'bin', 'synclog.js');
  const logDir = join(options.workDir, 'log');
  // The log is made once (not timed): the row measures the receiver, not the ingest.
  await runChecked(process.execPath, [cli, 'snapshot', corpus.root, '--log', logDir, '--json'], { timeoutMs: 30 * 60_000 });
  const expected = await hashTree(corpus.root);
  const cache = await PageCache.detect();
  const available = tools(cli);
  const seconds = new Map<string, number[]>(available.map((t) => [t.tool, []]));
  const notes = new Map<string, string>();
  if (!(await hasProgram('rsync'))) notes.set('rsync -a', 'rsync not installed (apt-get install -y rsync)');
  for (let run = 0; run < options.runs; run++) {
    // Rotate the order between runs so no tool always goes first (or last) after the cache drop.
    const order = available.map((_, i) => available[(i + run) % available.length]!);
    for (const tool of order) {
      if (notes.has(tool.tool)) continue;
      const out = join(options.workDir, `out-${run}-${tool.tool.replace(/\W+/g, '-')}`);
      await cache.prepare();
      const time = await timedRun(() => tool.run(corpus.root, logDir, out));
      if (tool.tool === 'synclog') {
        const diff = compareTrees(expected, await hashTree(join(out, corpus.root.split('/').pop()!)));
        if (!diff.equal) throw new Error(`synclog receive produced a different tree: ${JSON.stringify(diff)}`);
      }
      seconds.get(tool.tool)!.push(time);
      await rm(out, { recursive: true, force: true });
    }
  }
  const series = (perSecond: (s: number) => number): BenchSeries[] =>
    available.map((t) => ({ tool: t.tool, samples: seconds.get(t.tool)!.map(perSecond), ...(notes.has(t.tool) ? { note: notes.get(t.tool) } : {}) }));
  const what = `${spec.name} corpus ${(corpus.totalBytes / 1e6).toFixed(0)} MB / ${corpus.fileCount} files`;
  const note = `${cache.label}; every timing ends after a system-wide sync; synclog syncs before its renames (one sync -f per batch), cp/rsync do not`;
  return [
    { name: `receiver catch-up (latest), ${what}`, unit: 'MB/s', higherIsBetter: true, series: series((s) => corpus.totalBytes / 1e6 / s), note },
    { name: `receiver catch-up (latest), ${what}`, unit: 'files/s', higherIsBetter: true, series: series((s) => corpus.fileCount / s) },
  ];
}

/** Resolves once `child` prints a line matching `pattern`. */
function lineMatching(child: ChildProcess, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
    const onData = (data: Buffer) => {
      buffer += data.toString();
      if (pattern.test(buffer)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Live lag: watch + receive together, files written at `rate` per second. Returns per-file lags in ms. */
async function measureLag(options: { workDir: string; repoRoot: string; count: number; rate: number }): Promise<number[]> {
  const cli = join(options.repoRoot, 'bin', 'synclog.js');
  const source = join(options.workDir, 'live');
  const logDir = join(options.workDir, 'live-log');
  await mkdir(source, { recursive: true });
  const env = { ...process.env, SYNCLOG_NO_PROGRESS: '1' };
  const watcher = spawn(process.execPath, [cli, 'watch', source, '--log', logDir, '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const children: ChildProcess[] = [watcher];
  try {
    await lineMatching(watcher, /"event":"ready"/);
    const receiver = spawn(process.execPath, [cli, 'receive', '--log', logDir, '--out', join(options.workDir, 'live-out'), '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(receiver);
    await lineMatching(receiver, /"event":"caught-up"/);
    const appliedAt = new Map<string, number>();
    let buffer = '';
    receiver.stdout!.on('data', (data: Buffer) => {
      const now = Date.now();
      buffer += data.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const match = /"path":"(f\d+\.txt)"/.exec(line);
        if (match && line.includes('"event":"applied"') && !appliedAt.has(match[1]!)) appliedAt.set(match[1]!, now);
      }
    });
    const writtenAt = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < options.count; i++) {
      const due = started + (i * 1000) / options.rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await writeFile(join(source, `f${i}.txt`), `${i} ${'x'.repeat(200)}`);
      writtenAt.set(`f${i}.txt`, Date.now());
    }
    const deadline = Date.now() + 60_000;
    while (appliedAt.size < options.count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (appliedAt.size < options.count) throw new Error(`only ${appliedAt.size} of ${options.count} files reached the receiver`);
    return [...writtenAt].map(([name, at]) => appliedAt.get(name)! - at);
  } finally {
    for (const child of children.reverse()) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  }
}

async function lagRows(options: { quick: boolean; runs: number; workDir: string; repoRoot: string }): Promise<BenchRow[]> {
  const p50: number[] = [];
  const p99: number[] = [];
  const count = options.quick ? 300 : 1000;
  const rate = 50;
  for (let run = 0; run < options.runs; run++) {
    const workDir = join(options.workDir, `lag-${run}`);
    const lags = (await measureLag({ workDir, repoRoot: options.repoRoot, count, rate })).sort((a, b) => a - b);
    p50.push(percentile(lags, 50));
    p99.push(percentile(lags, 99));
  }
  const debounce = WATCH_LIMITS.debounceMsDefault;
  const note = `watch (debounce ${debounce} ms) + receive, ${count} files of 200 B at ${rate}/s; lag = write returned → receiver applied; target p99 < ${debounce + 250} ms`;
  return [
    { name: 'live lag watch → receive, p50', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p50 }], note },
    { name: 'live lag watch → receive, p99', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p99 }] },
  ];
}

/** The bench module: catch-up rows (synclog vs cp -a vs rsync -a) and live lag rows. */
export async function runReceiverCatchupBench(options: Partial<BenchModuleOptions> = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const resolved = {
    quick,
    runs: options.runs ?? (quick ? 1 : 3),
    repoRoot: options.repoRoot ?? REPO_ROOT,
    workDir: options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-receiver-'))),
  };
  try {
    return [...(await catchUpRows(resolved)), ...(await lagRows(resolved))];
  } finally {
    if (!options.workDir) await rm(resolved.workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows = await runReceiverCatchupBench(moduleOptionsFromArgs(process.argv.slice(2)));
  process.stdout.write(renderTable(rows) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
