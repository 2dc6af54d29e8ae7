// Two-way sync on loopback (docs/sync.md), three `synclog sync` nodes (CLI processes) in the same run as the peer:
//  - burst: 1,000 new 1 KiB files written at once on one node → complete (every file, byte for byte) on the other
//    two. Peer: `rsync -a` of the same folder to two local copies one after the other (what a one-way push to two
//    machines costs at least; rsync has no watcher, so this is a lower bound, not the same job).
//  - single change: one file edited on one node → its new content on both others, p50 and p99 over the samples.
// Syncthing (Debian's package is available here) is not run: configuring three devices in the same run is not done.
// Run alone: npx tsx bench/sync.ts [--quick] [--runs N]; the harness may call runSyncBench. Load average beside each.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs } from './lib/bench-row.js';
import { runChecked, timedRun } from './lib/child-process.js';
import { renderTable } from './lib/table.js';
import { compareTrees, hashTree } from './lib/tree-digest.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BURST_FILES = 1000;
const CHANGES = 30;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

interface Node {
  dir: string;
  child?: ChildProcess;
}

async function startGroup(cli: string, work: string): Promise<Node[]> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: Node[] = [];
  for (const [i, port] of ports.entries()) {
    const dir = join(work, `n${i}`);
    await mkdir(dir, { recursive: true });
    const peers = ports.filter((p) => p !== port).flatMap((p) => ['--peer', `http://127.0.0.1:${p}/`]);
    const child = spawn(process.execPath, [cli, 'sync', dir, '--log', join(work, `n${i}.log`), '--listen', `127.0.0.1:${port}`, ...peers, '--debounce', '50'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('syncing ') && resolve());
      child.once('exit', (code) => reject(new Error(`sync node exited (${code})`)));
    });
    nodes.push({ dir, child });
  }
  return nodes;
}

async function stopGroup(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => new Promise<void>((resolve) => {
    if (!n.child || n.child.exitCode !== null) return resolve();
    n.child.once('exit', () => resolve());
    n.child.kill('SIGTERM');
  })));
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, everyMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function burstRun(cli: string, work: string): Promise<{ synclogS: number; rsyncS: number }> {
  const nodes = await startGroup(cli, work);
  try {
    const burst = join(nodes[0]!.dir, 'burst');
    await mkdir(burst);
    const started = performance.now();
    for (let i = 0; i < BURST_FILES; i++) await writeFile(join(burst, `f${String(i).padStart(4, '0')}.txt`), `${i}:`.padEnd(1024, 'x'));
    await until(async () => {
      for (const n of nodes.slice(1)) if ((await readdir(join(n.dir, 'burst')).catch(() => [])).filter((f) => !f.includes('.synclog-tmp-')).length < BURST_FILES) return false;
      return true;
    }, 600_000, 20);
    const synclogS = (performance.now() - started) / 1000;
    const source = await hashTree(burst);
    for (const n of nodes.slice(1)) {
      const difference = compareTrees(source, await hashTree(join(n.dir, 'burst')));
      if (!difference.equal) throw new Error(`burst differs on a peer: ${JSON.stringify(difference)}`);
    }
    const rsyncS = await timedRun(async () => {
      for (const copy of ['r1', 'r2']) await runChecked('rsync', ['-a', `${burst}/`, join(work, copy)]);
    });
    return { synclogS, rsyncS };
  } finally {
    await stopGroup(nodes);
  }
}

async function singleChanges(cli: string, work: string): Promise<number[]> {
  const nodes = await startGroup(cli, work);
  const delays: number[] = [];
  try {
    for (let i = 0; i < CHANGES; i++) {
      const from = nodes[i % 3]!;
      const content = `change ${i}\n`;
      const started = performance.now();
      await writeFile(join(from.dir, 'one.txt'), content);
      await until(async () => {
        for (const n of nodes) if ((await readFile(join(n.dir, 'one.txt'), 'utf8').catch(() => '')) !== content) return false;
        return true;
      }, 120_000, 5);
      delays.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return delays;
  } finally {
    await stopGroup(nodes);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runSyncBench(options: Partial<BenchModuleOptions> = {}): Promise<BenchRow[]> {
  const runs = options.runs || (options.quick ? 1 : 3);
  const work = options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-sync-')));
  const cli = join(options.repoRoot ?? REPO_ROOT, 'bin', 'synclog.js');
  const burst = { synclog: [] as number[], rsync: [] as number[] };
  const p50: number[] = [];
  const p99: number[] = [];
  const loads: string[] = [];
  for (let run = 0; run < runs; run++) {
    const dir = join(work, `run${run}`);
    const b = await burstRun(cli, join(dir, 'burst'));
    burst.synclog.push(b.synclogS);
    burst.rsync.push(b.rsyncS);
    const sorted = (await singleChanges(cli, join(dir, 'single'))).sort((x, y) => x - y);
    p50.push(percentile(sorted, 50));
    p99.push(percentile(sorted, 99));
    loads.push(loadavg()[0]!.toFixed(1));
    await rm(dir, { recursive: true, force: true });
  }
  const note = `load average (1 min) per run: ${loads.join(', ')}; three nodes on one machine; debounce 50 ms`;
  return [
    { name: `sync burst: ${BURST_FILES} new 1 KiB files on one node → complete on the other two`, unit: 's', higherIsBetter: false, series: [{ tool: 'synclog', samples: burst.synclog }, { tool: 'rsync', samples: burst.rsync, note: 'rsync -a to two local copies, one after the other (no watching, one way)' }], note },
    { name: `sync single change → on both other nodes, p50 of ${CHANGES}`, unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p50 }] },
    { name: 'sync single change, p99', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p99 }] },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await runSyncBench(moduleOptionsFromArgs(process.argv.slice(2)));
  process.stdout.write(`${renderTable(rows)}\n`);
  for (const row of rows) if (row.note) process.stdout.write(`${row.note}\n`);
}
