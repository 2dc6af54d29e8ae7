// Pushing (synclog push / watch --to → serve --accept-push), against rsync to an rsync daemon, over loopback in the
// same run. Every byte figure is counted at the socket, both directions, for both tools: each talks to its server
// through the same byte-counting TCP proxy (bench/net.ts countingProxy).
//  - initial push of the bench corpus: `synclog push --once` of a client log holding the corpus into a server with an
//    empty log (ends when the server has acknowledged everything as durable) vs `rsync -a` of the corpus into an
//    empty module; MB/s, each timing ended by a system-wide sync. Target ≥ 0.8× rsync.
//  - a 1 KiB edit in the middle of a 100 MiB text file, both sides holding the previous version: bytes on the wire.
//    Target ≤ 0.5× rsync.
//  - a copy of a 50 MB (incompressible) file under a new name: bytes on the wire, as % of the file. Target < 1%.
//  - live: `watch DIR --to URL` (debounce 100 ms) → `serve --accept-push --out`: a write on the client until the file
//    is complete in the server's tree, p50 and p99. Target p99 ≤ debounce + 250 ms. No peer (rsync has no live mode).
// Run alone: npx tsx bench/push.ts [--quick] [--runs N] [--only initial,edit,copy,lag]; the harness calls runPushBench.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs, onlyFromArgs } from './lib/bench-row.js';
import { runChecked, timedRun } from './lib/child-process.js';
import { CORPUS_SPECS } from './lib/corpus-plan.js';
import { ensureCorpus } from './lib/corpus.js';
import { Prng } from './lib/prng.js';
import { renderTable } from './lib/table.js';
import { countingProxy, percentile, startRsyncDaemon, waitForOutput, writeText } from './net.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EDIT_FILE_BYTES = 100 * 1024 * 1024;
const COPY_FILE_BYTES = 50 * 1000 * 1000;
const DEBOUNCE_MS = 100;

type Proxy = Awaited<ReturnType<typeof countingProxy>>;

/** `serve --accept-push` on an ephemeral port, and a counting proxy in front of it. */
async function startPushServer(cli: string, logDir: string, out?: string): Promise<{ child: ChildProcess; url: string; proxy: Proxy; via: string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--log', logDir, '--listen', '127.0.0.1:0', '--accept-push', ...(out ? ['--out', out] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await waitForOutput(child, / on (http:\/\/\S+)/);
  const proxy = await countingProxy(Number(new URL(url).port));
  return { child, url, proxy, via: `http://127.0.0.1:${proxy.port}/` };
}

async function stopServer(server: { child: ChildProcess; proxy: Proxy }): Promise<void> {
  server.proxy.server.close();
  await new Promise((done) => {
    if (server.child.exitCode !== null) return done(undefined);
    server.child.once('exit', done);
    server.child.kill('SIGTERM');
  });
}

/** An rsync daemon with a counting proxy in front: `url` goes through the proxy. */
async function startRsync(workDir: string, root: string): Promise<{ child: ChildProcess; proxy: Proxy; url: string }> {
  const daemon = await startRsyncDaemon(workDir, root);
  const port = Number(/:(\d+)\//.exec(daemon.url)![1]);
  const proxy = await countingProxy(port);
  return { child: daemon.child, proxy, url: `rsync://127.0.0.1:${proxy.port}/dest` };
}

function stopRsync(daemon: { child: ChildProcess; proxy: Proxy }): void {
  daemon.proxy.server.close();
  daemon.child.kill('SIGTERM');
}

function load(): string {
  return loadavg().map((value) => value.toFixed(1)).join(' / ');
}

async function initialRows(options: BenchModuleOptions, cli: string): Promise<BenchRow[]> {
  const spec = options.quick ? CORPUS_SPECS.quick : CORPUS_SPECS.full;
  const corpus = await ensureCorpus(spec, join(options.repoRoot, 'bench', '.cache'));
  const clientLog = join(options.workDir, 'initial-client-log');
  await runChecked(process.execPath, [cli, 'snapshot', corpus.root, '--log', clientLog], { timeoutMs: 30 * 60_000 });
  const rsyncRoot = join(options.workDir, 'initial-rsync');
  const daemon = await startRsync(options.workDir, rsyncRoot);
  const speed = { synclog: [] as number[], rsync: [] as number[] };
  const wire = { synclog: [] as number[], rsync: [] as number[] };
  const loads: string[] = [];
  try {
    for (let run = 0; run < options.runs; run++) {
      const serverLog = join(options.workDir, `initial-server-${run}`);
      const server = await startPushServer(cli, serverLog);
      try {
        await rm(join(clientLog, 'push-cursor.json'), { force: true }); // a new server log: nothing is acknowledged
        server.proxy.reset();
        speed.synclog.push(corpus.totalBytes / 1e6 / (await timedRun(() => runChecked(process.execPath, [cli, 'push', '--log', clientLog, '--to', server.via, '--once'], { timeoutMs: 30 * 60_000 }))));
        wire.synclog.push(server.proxy.bytes() / 1e6);
      } finally {
        await stopServer(server);
        await rm(serverLog, { recursive: true, force: true });
      }
      daemon.proxy.reset();
      speed.rsync.push(corpus.totalBytes / 1e6 / (await timedRun(() => runChecked('rsync', ['-a', `${corpus.root}/`, `${daemon.url}/run-${run}/`], { timeoutMs: 30 * 60_000 }))));
      wire.rsync.push(daemon.proxy.bytes() / 1e6);
      await rm(join(rsyncRoot, `run-${run}`), { recursive: true, force: true });
      loads.push(load());
    }
  } finally {
    stopRsync(daemon);
  }
  const what = `${spec.name} corpus ${(corpus.totalBytes / 1e6).toFixed(0)} MB / ${corpus.fileCount} files`;
  return [
    {
      name: `initial push over loopback, ${what}`,
      unit: 'MB/s',
      higherIsBetter: true,
      series: [{ tool: 'synclog', samples: speed.synclog }, { tool: 'rsync -a (daemon)', samples: speed.rsync }],
      note: `push --once from a client log holding the corpus into an empty server log (done when the server acknowledged all as durable) vs rsync -a into an empty daemon module; each timing ends after a system-wide sync; target ≥ 0.8×; load average (1/5/15 min) after each run: ${loads.join('; ')}`,
    },
    {
      name: `initial push, bytes on the wire, ${what}`,
      unit: 'MB',
      higherIsBetter: false,
      series: [{ tool: 'synclog', samples: wire.synclog }, { tool: 'rsync -a (daemon)', samples: wire.rsync }],
      note: 'both directions, counted at the socket by the same proxy for both tools',
    },
  ];
}

/** The server and the daemon both hold `source` as it is now (pushed and rsynced through their proxies). */
async function syncBoth(cli: string, source: string, clientLog: string, server: { via: string }, daemon: { url: string }, run: number): Promise<void> {
  await runChecked(process.execPath, [cli, 'snapshot', source, '--log', clientLog]);
  await runChecked(process.execPath, [cli, 'push', '--log', clientLog, '--to', server.via, '--once']);
  await runChecked('rsync', ['-a', `${source}/`, `${daemon.url}/run-${run}/`]);
}

/**
 * A change after both sides hold the folder: `change` edits it, then the bytes each tool moves to bring its server
 * up to date are counted (synclog: record into the client log, then push --once; only the push is counted).
 */
async function changeBytes(options: BenchModuleOptions, cli: string, name: string, prepare: (source: string) => Promise<void>, change: (source: string) => Promise<void>): Promise<{ synclog: number[]; rsync: number[]; loads: string[] }> {
  const result = { synclog: [] as number[], rsync: [] as number[], loads: [] as string[] };
  const rsyncRoot = join(options.workDir, `${name}-rsync`);
  const daemon = await startRsync(options.workDir, rsyncRoot);
  try {
    for (let run = 0; run < options.runs; run++) {
      const source = join(options.workDir, `${name}-src-${run}`, 'folder');
      const clientLog = join(options.workDir, `${name}-client-log-${run}`);
      const serverLog = join(options.workDir, `${name}-server-log-${run}`);
      await mkdir(source, { recursive: true });
      await prepare(source);
      const server = await startPushServer(cli, serverLog);
      try {
        await syncBoth(cli, source, clientLog, server, daemon, run);
        await change(source);
        await runChecked(process.execPath, [cli, 'snapshot', source, '--log', clientLog]);
        server.proxy.reset();
        await runChecked(process.execPath, [cli, 'push', '--log', clientLog, '--to', server.via, '--once']);
        result.synclog.push(server.proxy.bytes());
        daemon.proxy.reset();
        await runChecked('rsync', ['-a', `${source}/`, `${daemon.url}/run-${run}/`]);
        result.rsync.push(daemon.proxy.bytes());
        result.loads.push(load());
      } finally {
        await stopServer(server);
        await rm(join(options.workDir, `${name}-src-${run}`), { recursive: true, force: true });
        await rm(clientLog, { recursive: true, force: true });
        await rm(serverLog, { recursive: true, force: true });
        await rm(join(rsyncRoot, `run-${run}`), { recursive: true, force: true });
      }
    }
  } finally {
    stopRsync(daemon);
  }
  return result;
}

async function editRow(options: BenchModuleOptions, cli: string): Promise<BenchRow> {
  const bytes = await changeBytes(
    options,
    cli,
    'edit',
    (source) => writeText(join(source, 'big.txt'), EDIT_FILE_BYTES),
    async (source) => {
      const handle = await open(join(source, 'big.txt'), 'r+');
      await handle.write(Buffer.alloc(1024, 'x'), 0, 1024, Math.floor(EDIT_FILE_BYTES / 2));
      await handle.close();
    },
  );
  return {
    name: 'push after a 1 KiB edit in a 100 MiB text file, bytes on the wire',
    unit: 'KiB',
    higherIsBetter: false,
    series: [{ tool: 'synclog', samples: bytes.synclog.map((b) => b / 1024) }, { tool: 'rsync -a (daemon)', samples: bytes.rsync.map((b) => b / 1024) }],
    note: `both sides hold the previous version; both directions at the socket; target ≤ 0.5×; load average after each run: ${bytes.loads.join('; ')}`,
  };
}

async function copyRow(options: BenchModuleOptions, cli: string): Promise<BenchRow> {
  const bytes = await changeBytes(
    options,
    cli,
    'copy',
    async (source) => {
      const prng = new Prng(5050, 1);
      const data = Buffer.alloc(COPY_FILE_BYTES);
      for (let at = 0; at + 4 <= data.length; at += 4) data.writeUInt32LE(prng.nextUint32(), at);
      await writeFile(join(source, 'original.bin'), data);
    },
    (source) => copyFile(join(source, 'original.bin'), join(source, 'copy under a new name.bin')),
  );
  const percent = (values: number[]) => values.map((b) => (b / COPY_FILE_BYTES) * 100);
  return {
    name: 'push of a copy of a 50 MB file under a new name, bytes on the wire as % of the file',
    unit: '%',
    higherIsBetter: false,
    series: [{ tool: 'synclog', samples: percent(bytes.synclog) }, { tool: 'rsync -a (daemon)', samples: percent(bytes.rsync) }],
    note: `incompressible content; both directions at the socket; target < 1% for synclog; load average after each run: ${bytes.loads.join('; ')}`,
  };
}

/** Write on the client → file complete in the server's --out tree, one small file at a time, polled every 2 ms. */
async function lagRows(options: BenchModuleOptions, cli: string): Promise<BenchRow[]> {
  const edits = options.quick ? 30 : 100;
  const source = join(options.workDir, 'lag-src');
  const out = join(options.workDir, 'lag-out');
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'seed.txt'), 'seed\n');
  const server = await startPushServer(cli, join(options.workDir, 'lag-server-log'), out);
  const watch = spawn(process.execPath, [cli, 'watch', source, '--log', join(options.workDir, 'lag-client-log'), '--to', server.url, '--debounce', String(DEBOUNCE_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const p50: number[] = [];
  const p99: number[] = [];
  const loads: string[] = [];
  try {
    const arrived = async (path: string, body: string, started: number) => {
      for (;;) {
        if ((await readFile(path, 'utf8').catch(() => undefined)) === body) return;
        if (performance.now() - started > 60_000) throw new Error(`${path} did not arrive within 60 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    await arrived(join(out, 'lag-src', 'seed.txt'), 'seed\n', performance.now());
    for (let run = 0; run < options.runs; run++) {
      const lags: number[] = [];
      for (let i = 0; i < edits; i++) {
        const name = `edit-${run}-${i}.txt`;
        const body = `edit ${run} ${i} ${'x'.repeat(200)}\n`;
        await writeFile(join(source, name), body);
        const started = performance.now();
        await arrived(join(out, 'lag-src', name), body, started);
        lags.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 50)); // one change at a time
      }
      lags.sort((a, b) => a - b);
      p50.push(percentile(lags, 50));
      p99.push(percentile(lags, 99));
      loads.push(load());
    }
  } finally {
    await new Promise((done) => {
      watch.once('exit', done);
      watch.kill('SIGTERM');
    });
    await stopServer(server);
  }
  const note = `${edits} single-file writes per run; includes the watcher's ${DEBOUNCE_MS} ms debounce (target: p99 ≤ ${DEBOUNCE_MS + 250} ms); load average after each run: ${loads.join('; ')}`;
  return [
    { name: "live push, write on the client → complete in the server's --out tree, p50", unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p50 }], note },
    { name: 'live push, p99', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p99 }] },
  ];
}

export const PUSH_BENCH_PARTS = ['initial', 'edit', 'copy', 'lag'] as const;
export type PushBenchPart = (typeof PUSH_BENCH_PARTS)[number];

export async function runPushBench(options: Partial<BenchModuleOptions> = {}, only: readonly PushBenchPart[] = PUSH_BENCH_PARTS): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const full: BenchModuleOptions = {
    quick,
    runs: options.runs || (quick ? 1 : 3),
    workDir: options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-push-'))),
    repoRoot: options.repoRoot ?? REPO_ROOT,
  };
  const cli = join(full.repoRoot, 'bin', 'synclog.js');
  const rows: BenchRow[] = [];
  if (only.includes('initial')) rows.push(...(await initialRows(full, cli)));
  if (only.includes('edit')) rows.push(await editRow(full, cli));
  if (only.includes('copy')) rows.push(await copyRow(full, cli));
  if (only.includes('lag')) rows.push(...(await lagRows(full, cli)));
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(`usage: npx tsx bench/push.ts [--quick] [--runs N] [--only ${PUSH_BENCH_PARTS.join(',')}]\n`);
    return;
  }
  const options = moduleOptionsFromArgs(args);
  const workDir = await mkdtemp(join(tmpdir(), 'synclog-bench-push-'));
  try {
    const rows = await runPushBench({ ...options, workDir }, onlyFromArgs(args, PUSH_BENCH_PARTS));
    process.stdout.write(renderTable(rows) + '\n');
    for (const row of rows) if (row.note) process.stdout.write(`- ${row.name}: ${row.note}\n`);
    process.stdout.write(`load average at the end (1/5/15 min): ${load()}\n`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
