// JetStream's cost against a plain `synclog serve`, over loopback in the same run (docs/jetstream.md "When to use
// what"):
//  - catch-up: the bench corpus, already in a log, brought into an empty folder (a) through a 3-node NATS cluster:
//    `replicate --to` an R3 stream then `receive --from nats://… --once`, timed together, and the receive alone; vs
//    (b) `serve` + `receive --from http://… --once`. MB/s; each timing ends after a system-wide `sync`; every tree is
//    checked against the corpus before its time counts.
//  - follower lag while a watcher writes: `watch` → `replicate --to` (following) → R3 stream → `receive --from`
//    (following), vs `serve --watch` → `receive --from`: write → complete on the far side, p50 and p99.
// The load average is printed beside the figures (this machine is shared): read the ratios, not the absolute times.
// Run alone: npx tsx bench/jetstream.ts [--quick] [--runs N] [--only catch-up,lag]; the harness calls runJetStreamBench.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { NATS_SERVER, NatsCluster } from '../tests/helpers/nats-server.js';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs, onlyFromArgs } from './lib/bench-row.js';
import { runChecked, timedRun } from './lib/child-process.js';
import { CORPUS_SPECS } from './lib/corpus-plan.js';
import { ensureCorpus } from './lib/corpus.js';
import { renderNotes, renderTable } from './lib/table.js';
import { compareTrees, hashTree } from './lib/tree-digest.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function load(): string {
  return loadavg().map((v) => v.toFixed(1)).join(' / ');
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${buffer.slice(-500)}`)), timeoutMs);
    child.stdout!.on('data', (data: Buffer) => {
      buffer += data.toString();
      const match = pattern.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? match[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}: ${buffer.slice(-500)}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

async function startServe(cli: string, args: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'serve', ...args, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { child, url: await waitForOutput(child, pattern) };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function catchUpRows(options: BenchModuleOptions, cli: string, cluster: NatsCluster): Promise<BenchRow[]> {
  const spec = options.quick ? CORPUS_SPECS.quick : CORPUS_SPECS.full;
  const corpus = await ensureCorpus(spec, join(options.repoRoot, 'bench', '.cache'));
  const logDir = join(options.workDir, 'log');
  await runChecked(process.execPath, [cli, 'snapshot', corpus.root, '--log', logDir, '--json'], { timeoutMs: 30 * 60_000 });
  const expected = await hashTree(corpus.root);
  const rootName = corpus.root.split('/').pop()!;
  const serve = await startServe(cli, ['--log', logDir, '--priority', 'normal'], / on (http:\/\/\S+)/); // as in bench/net.ts catch-up
  const viaNats: number[] = [];
  const natsReceiveOnly: number[] = [];
  const viaServe: number[] = [];
  const loads: string[] = [];
  const mb = corpus.totalBytes / 1e6;
  try {
    for (let run = 0; run < options.runs; run++) {
      const check = async (out: string, what: string) => {
        const diff = compareTrees(expected, await hashTree(join(out, rootName)));
        if (!diff.equal) throw new Error(`${what} produced a different tree: ${JSON.stringify(diff).slice(0, 500)}`);
        await rm(out, { recursive: true, force: true });
      };
      // A new stream per run: the publish is part of the cost.
      const stream = `bench_${process.pid}_${run}`;
      const natsOut = join(options.workDir, `nats-out-${run}`);
      let receiveSeconds = 0;
      const total = await timedRun(async () => {
        await runChecked(process.execPath, [cli, 'replicate', '--log', logDir, '--to', cluster.url, '--stream', stream, '--replicas', '3', '--once'], { timeoutMs: 30 * 60_000 });
        receiveSeconds = await timedRun(() => runChecked(process.execPath, [cli, 'receive', '--from', cluster.url, '--stream', stream, '--out', natsOut, '--once'], { timeoutMs: 30 * 60_000 }));
      });
      await check(natsOut, 'receive --from nats://');
      viaNats.push(mb / total);
      natsReceiveOnly.push(mb / receiveSeconds);
      const serveOut = join(options.workDir, `serve-out-${run}`);
      const seconds = await timedRun(() => runChecked(process.execPath, [cli, 'receive', '--from', serve.url, '--out', serveOut, '--once'], { timeoutMs: 30 * 60_000 }));
      await check(serveOut, 'receive --from http://');
      viaServe.push(mb / seconds);
      loads.push(load());
    }
  } finally {
    await stopChild(serve.child);
  }
  const name = `${spec.name} corpus ${mb.toFixed(0)} MB / ${corpus.fileCount} files into an empty folder`;
  return [
    {
      name: `catch-up, ${name}`,
      unit: 'MB/s',
      higherIsBetter: true,
      series: [
        { tool: 'synclog', samples: viaNats, note: 'through a 3-node NATS R3 stream: replicate --to + receive --from nats://' },
        { tool: 'plain serve + receive --from http://', samples: viaServe },
        { tool: 'NATS R3, receive --from nats:// alone', samples: natsReceiveOnly },
      ],
      note: `same run, alternating; 3 nats-servers (2.9) and the serve on 127.0.0.1; load average (1/5/15 min) after each run: ${loads.join('; ')}`,
    },
  ];
}

/** Write one small file at a time on the watched side; the time until the far side holds it complete. */
async function measureLag(source: string, far: string, edits: number, tag: string): Promise<number[]> {
  const lags: number[] = [];
  for (let i = 0; i < edits; i++) {
    const name = `edit-${tag}-${i}.txt`;
    const body = `edit ${tag} ${i} ${'x'.repeat(200)}\n`;
    await writeFile(join(source, name), body);
    const started = performance.now();
    for (;;) {
      if ((await readFile(join(far, name), 'utf8').catch(() => undefined)) === body) break;
      if (performance.now() - started > 60_000) throw new Error(`${name} did not arrive within 60 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
    lags.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 50));
  }
  return lags.sort((a, b) => a - b);
}

async function lagRows(options: BenchModuleOptions, cli: string, cluster: NatsCluster): Promise<BenchRow[]> {
  const edits = options.quick ? 30 : 100;
  const series = { nats: { p50: [] as number[], p99: [] as number[] }, serve: { p50: [] as number[], p99: [] as number[] } };
  const loads: string[] = [];
  for (const path of ['nats', 'serve'] as const) {
    const base = join(options.workDir, `lag-${path}`);
    const source = join(base, 'src');
    const logDir = join(base, 'log');
    const out = join(base, 'out');
    await mkdir(source, { recursive: true });
    await writeFile(join(source, 'seed.txt'), 'seed\n');
    const children: ChildProcess[] = [];
    try {
      let from: string[];
      if (path === 'nats') {
        const watch = spawn(process.execPath, [cli, 'watch', source, '--log', logDir], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(watch);
        await waitForOutput(watch, /ready: watching/);
        const publisher = spawn(process.execPath, [cli, 'replicate', '--log', logDir, '--to', cluster.url, '--stream', `lag_${process.pid}`, '--replicas', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(publisher);
        await waitForOutput(publisher, /caught up/);
        from = ['--from', cluster.url, '--stream', `lag_${process.pid}`];
      } else {
        const serve = await startServe(cli, ['--log', logDir, '--watch', source], / on (http:\/\/\S+) while watching/);
        children.push(serve.child);
        from = ['--from', serve.url];
      }
      const receive = spawn(process.execPath, [cli, 'receive', ...from, '--out', out], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.unshift(receive);
      await waitForOutput(receive, /caught up/);
      for (let run = 0; run < options.runs; run++) {
        const lags = await measureLag(source, join(out, 'src'), edits, `${path}-${run}`);
        series[path].p50.push(percentile(lags, 50));
        series[path].p99.push(percentile(lags, 99));
        loads.push(`${path} ${load()}`);
      }
    } finally {
      // The follower first: a source stopping under it would only make it say so.
      for (const child of children) await stopChild(child);
    }
  }
  const note = `${edits} single-file writes per run, one at a time; includes the watcher's 100 ms debounce; nats: watch → replicate --to (following) → R3 stream → receive --from (following); serve: serve --watch → receive --from; load average after each run: ${loads.join('; ')}`;
  return [
    { name: 'follower lag while a watcher writes, write → complete on the far side, p50', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: series.nats.p50, note: 'through a 3-node NATS R3 stream' }, { tool: 'plain serve --watch', samples: series.serve.p50 }], note },
    { name: 'follower lag while a watcher writes, p99', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: series.nats.p99, note: 'through a 3-node NATS R3 stream' }, { tool: 'plain serve --watch', samples: series.serve.p99 }] },
  ];
}

export const JETSTREAM_BENCH_PARTS = ['catch-up', 'lag'] as const;
export type JetStreamBenchPart = (typeof JETSTREAM_BENCH_PARTS)[number];

export async function runJetStreamBench(options: Partial<BenchModuleOptions> = {}, only: readonly JetStreamBenchPart[] = JETSTREAM_BENCH_PARTS): Promise<BenchRow[]> {
  if (!NATS_SERVER) return [{ name: 'bench/jetstream.ts', unit: '', higherIsBetter: true, series: [{ tool: 'synclog', samples: [], note: 'skipped: nats-server is not installed (apt-get install nats-server)' }] }];
  const quick = options.quick ?? false;
  const full: BenchModuleOptions = {
    quick,
    runs: options.runs || (quick ? 1 : 3),
    workDir: options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-js-'))),
    repoRoot: options.repoRoot ?? REPO_ROOT,
  };
  const cli = join(full.repoRoot, 'bin', 'synclog.js');
  const cluster = await NatsCluster.start();
  const rows: BenchRow[] = [];
  try {
    if (only.includes('catch-up')) rows.push(...(await catchUpRows(full, cli, cluster)));
    if (only.includes('lag')) rows.push(...(await lagRows(full, cli, cluster)));
  } finally {
    await cluster.stop();
    if (!options.workDir) await rm(full.workDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(`usage: npx tsx bench/jetstream.ts [--quick] [--runs N] [--only ${JETSTREAM_BENCH_PARTS.join(',')}]\n`);
    return;
  }
  const rows = await runJetStreamBench(moduleOptionsFromArgs(args), onlyFromArgs(args, JETSTREAM_BENCH_PARTS));
  process.stdout.write(renderTable(rows) + '\n\n' + renderNotes(rows) + '\n');
  process.stdout.write(`load average at the end (1/5/15 min): ${load()}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
