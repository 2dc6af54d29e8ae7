// Two-way sync on loopback (docs/sync.md), three `synclog sync` nodes (CLI processes) in the same run as the peer:
//  - burst: 1,000 new 1 KiB files written at once on one node → complete (every file, byte for byte) on the other
//    two. Peer: `rsync -a` of the same folder to two local copies one after the other (what a one-way push to two
//    machines costs at least; rsync has no watcher, so this is a lower bound, not the same job).
//  - single change: one file edited on one node → its new content on both others, p50 and p99 over the samples.
// Syncthing, when installed (Debian's package), runs the same two scenarios in the same run: three instances on
// 127.0.0.1 (bench/lib/syncthing-group.ts); its row is skipped with the reason when the binary is missing.
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
import { startSyncthingGroup, syncthingUnavailable, SYNCTHING_WATCH_DELAY_S } from './lib/syncthing-group.js';
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

/** Three folders kept in sync by one tool, and how to stop it. */
interface Group {
  dirs: string[];
  stop(): Promise<void>;
}

async function startSynclogGroup(cli: string, work: string): Promise<Group> {
  const nodes = await startNodes(cli, work);
  return { dirs: nodes.map((n) => n.dir), stop: () => stopNodes(nodes) };
}

async function startNodes(cli: string, work: string): Promise<Node[]> {
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

async function stopNodes(nodes: Node[]): Promise<void> {
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

/** A tool's own temp files while a file is arriving (synclog's, Syncthing's). */
function arrived(name: string): boolean {
  return !name.includes('.synclog-tmp-') && !name.startsWith('.syncthing.') && !name.startsWith('~syncthing~');
}

/** Seconds from the first write of the burst on the first folder until every file is on the other two, checked. */
async function burstRun(group: Group): Promise<number> {
  const [first, ...others] = group.dirs as [string, ...string[]];
  const burst = join(first, 'burst');
  await mkdir(burst);
  const started = performance.now();
  for (let i = 0; i < BURST_FILES; i++) await writeFile(join(burst, `f${String(i).padStart(4, '0')}.txt`), `${i}:`.padEnd(1024, 'x'));
  await until(async () => {
    for (const dir of others) if ((await readdir(join(dir, 'burst')).catch(() => [])).filter(arrived).length < BURST_FILES) return false;
    return true;
  }, 600_000, 20);
  const seconds = (performance.now() - started) / 1000;
  const source = await hashTree(burst);
  for (const dir of others) {
    const difference = compareTrees(source, await hashTree(join(dir, 'burst')));
    if (!difference.equal) throw new Error(`burst differs on a peer: ${JSON.stringify(difference)}`);
  }
  return seconds;
}

async function rsyncBurst(group: Group, work: string): Promise<number> {
  const burst = join(group.dirs[0]!, 'burst');
  return timedRun(async () => {
    for (const copy of ['r1', 'r2']) await runChecked('rsync', ['-a', `${burst}/`, join(work, copy)]);
  });
}

/** Milliseconds from each edit (on the folders in turn) until all three folders hold it. */
async function singleChanges(group: Group): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const from = group.dirs[i % 3]!;
    const content = `change ${i}\n`;
    const started = performance.now();
    await writeFile(join(from, 'one.txt'), content);
    await until(async () => {
      for (const dir of group.dirs) if ((await readFile(join(dir, 'one.txt'), 'utf8').catch(() => '')) !== content) return false;
      return true;
    }, 120_000, 5);
    delays.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return delays;
}

/** Burst, then single changes, each on a fresh group of the tool. */
async function runTool(start: (work: string) => Promise<Group>, work: string, withRsync: boolean): Promise<{ burstS: number; rsyncS?: number; delays: number[] }> {
  let group = await start(join(work, 'burst'));
  let burstS: number;
  let rsyncS: number | undefined;
  try {
    burstS = await burstRun(group);
    if (withRsync) rsyncS = await rsyncBurst(group, join(work, 'burst'));
  } finally {
    await group.stop();
  }
  group = await start(join(work, 'single'));
  try {
    return { burstS, rsyncS, delays: await singleChanges(group) };
  } finally {
    await group.stop();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runSyncBench(options: Partial<BenchModuleOptions> = {}): Promise<BenchRow[]> {
  const runs = options.runs || (options.quick ? 1 : 3);
  const work = options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-sync-')));
  const cli = join(options.repoRoot ?? REPO_ROOT, 'bin', 'synclog.js');
  const skipSyncthing = await syncthingUnavailable();
  if (skipSyncthing) process.stderr.write(`sync bench: Syncthing row skipped: ${skipSyncthing}\n`);
  const burst = { synclog: [] as number[], rsync: [] as number[], syncthing: [] as number[] };
  const p50 = { synclog: [] as number[], syncthing: [] as number[] };
  const p99 = { synclog: [] as number[], syncthing: [] as number[] };
  const loads: string[] = [];
  let syncthingVersion = '';
  for (let run = 0; run < runs; run++) {
    const dir = join(work, `run${run}`);
    const mine = await runTool((w) => startSynclogGroup(cli, w), join(dir, 'synclog'), true);
    burst.synclog.push(mine.burstS);
    burst.rsync.push(mine.rsyncS!);
    const sorted = mine.delays.sort((x, y) => x - y);
    p50.synclog.push(percentile(sorted, 50));
    p99.synclog.push(percentile(sorted, 99));
    if (!skipSyncthing) {
      const theirs = await runTool(async (w) => {
        const group = await startSyncthingGroup(w, freePort);
        syncthingVersion = group.version;
        return group;
      }, join(dir, 'syncthing'), false);
      burst.syncthing.push(theirs.burstS);
      const st = theirs.delays.sort((x, y) => x - y);
      p50.syncthing.push(percentile(st, 50));
      p99.syncthing.push(percentile(st, 99));
    }
    loads.push(loadavg()[0]!.toFixed(1));
    await rm(dir, { recursive: true, force: true });
  }
  const note = `load average (1 min) per run: ${loads.join(', ')}; three nodes on one machine; synclog debounce 50 ms`;
  const stNote = skipSyncthing ?? `${syncthingVersion}, three instances on 127.0.0.1, discovery/relays/NAT off, watcher delay ${SYNCTHING_WATCH_DELAY_S} s (its minimum)`;
  const syncthing = (samples: number[]) => ({ tool: 'syncthing', samples: skipSyncthing ? [] : samples, note: stNote });
  return [
    { name: `sync burst: ${BURST_FILES} new 1 KiB files on one node → complete on the other two`, unit: 's', higherIsBetter: false, series: [{ tool: 'synclog', samples: burst.synclog }, { tool: 'rsync', samples: burst.rsync, note: 'rsync -a to two local copies, one after the other (no watching, one way)' }, syncthing(burst.syncthing)], note },
    { name: `sync single change → on both other nodes, p50 of ${CHANGES}`, unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p50.synclog }, syncthing(p50.syncthing)] },
    { name: 'sync single change, p99', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p99.synclog }, syncthing(p99.syncthing)] },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await runSyncBench(moduleOptionsFromArgs(process.argv.slice(2)));
  process.stdout.write(`${renderTable(rows)}\n`);
  for (const row of rows) if (row.note) process.stdout.write(`${row.note}\n`);
}
