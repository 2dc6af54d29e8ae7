// The network's cost, against rsync (the tool a user would pick instead), over loopback in the same run:
//  - remote catch-up: `synclog serve` + `synclog receive --from URL --once` of a log holding the generated corpus into
//    an empty folder, vs `rsync -a` of the corpus to an rsync daemon on 127.0.0.1. MB/s; each timing ends after a
//    system-wide `sync`. The synclog tree is checked against the corpus before its time counts.
//  - bytes on the wire for a 1 KiB edit in the middle of a large text file (20 MiB, and 100 MiB), after
//    both sides hold the previous version: synclog through a byte-counting TCP proxy in front of the server (both
//    directions), rsync by its own --stats (bytes sent + received). Lower is better.
//  - live lag: `serve --watch` + a following `receive --from`: write → complete on the far side, p50 and p99.
//  - the writer's ingest rate with 20 `receive --from` followers attached vs none, with the followers standing in for
//    other machines (lowest CPU priority, trees on tmpfs) and with them as plain processes on this machine.
// Run alone: npx tsx bench/net.ts [--quick] [--runs N] [--only catch-up,edit,lag,followers]; the harness calls runNetBench.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs, onlyFromArgs } from './lib/bench-row.js';
import { runChecked, timedRun } from './lib/child-process.js';
import { CORPUS_SPECS } from './lib/corpus-plan.js';
import { processCpu, withChildCpu, type ProcessCpu } from './lib/process-cpu.js';
import { Prng } from './lib/prng.js';
import { ensureCorpus } from './lib/corpus.js';
import { summarize } from './lib/stats.js';
import { renderNotes, renderTable } from './lib/table.js';
import { compareTrees, hashTree } from './lib/tree-digest.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${pattern}`)), timeoutMs);
    child.stdout!.on('data', (data: Buffer) => {
      buffer += data.toString();
      const match = pattern.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? match[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}`)));
  });
}

async function startServe(cli: string, logDir: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--log', logDir, '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { child, url: await waitForOutput(child, / on (http:\/\/\S+)/) };
}

/** An rsync daemon on 127.0.0.1 with one writable module `dest` rooted at `root`. */
export async function startRsyncDaemon(workDir: string, root: string): Promise<{ child: ChildProcess; url: string }> {
  await mkdir(root, { recursive: true });
  const port = await freePort();
  // Files of its own per daemon: a stopped daemon's pid file may outlive it for a moment.
  workDir = await mkdtemp(join(workDir, 'rsyncd-'));
  const conf = join(workDir, 'rsyncd.conf');
  const me = userInfo();
  await writeFile(conf, [`port = ${port}`, 'address = 127.0.0.1', 'use chroot = no', `pid file = ${join(workDir, 'rsyncd.pid')}`, `lock file = ${join(workDir, 'rsyncd.lock')}`, `log file = ${join(workDir, 'rsyncd.log')}`, '[dest]', `  path = ${root}`, '  read only = false', `  uid = ${me.uid}`, `  gid = ${me.gid}`, ''].join('\n'));
  const child = spawn('rsync', ['--daemon', '--no-detach', `--config=${conf}`], { stdio: 'ignore' });
  const url = `rsync://127.0.0.1:${port}/dest`;
  for (let i = 0; i < 100; i++) {
    const up = await runChecked('rsync', [`rsync://127.0.0.1:${port}/`]).then(() => true, () => false);
    if (up) return { child, url };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('rsync daemon did not start');
}

/** A TCP proxy to `port` that counts every byte both ways. */
export async function countingProxy(port: number): Promise<{ server: Server; port: number; bytes: () => number; reset: () => void }> {
  let total = 0;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('data', (d: Buffer) => (total += d.length));
    upstream.on('data', (d: Buffer) => (total += d.length));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as AddressInfo).port, bytes: () => total, reset: () => (total = 0) };
}

async function catchUpRow(options: BenchModuleOptions, cli: string): Promise<BenchRow> {
  const spec = options.quick ? CORPUS_SPECS.quick : CORPUS_SPECS.full;
  const corpus = await ensureCorpus(spec, join(options.repoRoot, 'bench', '.cache'));
  const logDir = join(options.workDir, 'log');
  await runChecked(process.execPath, [cli, 'snapshot', corpus.root, '--log', logDir, '--json'], { timeoutMs: 30 * 60_000 });
  const expected = await hashTree(corpus.root);
  // Normal priority, as the rsync daemon runs: on two machines the server has its own CPU; here a niced serve (its
  // default when it only reads) would queue behind the client it serves, which no real deployment does.
  const serve = await startServe(cli, logDir, ['--priority', 'normal']);
  const rsyncRoot = join(options.workDir, 'rsync-root');
  const daemon = await startRsyncDaemon(options.workDir, rsyncRoot);
  const synclog: number[] = [];
  const rsync: number[] = [];
  // CPU-seconds of each side per run (Linux): on a shared 2-core machine they move far less with the load than MB/s.
  const cpu = new CpuSamples(['receive', 'serve', 'rsync', 'rsync daemon']);
  const loadBefore = loadavg()[0]!;
  try {
    for (let run = 0; run < options.runs; run++) {
      const out = join(options.workDir, `out-${run}`);
      const serveBefore = processCpu(serve.child.pid!);
      const seconds = await timedRun(async () => {
        const { cpuSeconds } = await withChildCpu(() => runChecked(process.execPath, [cli, 'receive', '--from', serve.url, '--out', out, '--once', '--json'], { timeoutMs: 30 * 60_000 }));
        cpu.add('receive', cpuSeconds);
      });
      cpu.addGrowth('serve', serveBefore, processCpu(serve.child.pid!), 'own');
      const diff = compareTrees(expected, await hashTree(join(out, corpus.root.split('/').pop()!)));
      if (!diff.equal) throw new Error(`receive --from produced a different tree: ${JSON.stringify(diff)}`);
      synclog.push(corpus.totalBytes / 1e6 / seconds);
      await rm(out, { recursive: true, force: true });
      const daemonBefore = processCpu(daemon.child.pid!);
      const rsyncSeconds = await timedRun(async () => {
        const { cpuSeconds } = await withChildCpu(() => runChecked('rsync', ['-a', `${corpus.root}/`, `${daemon.url}/out-${run}/`], { timeoutMs: 30 * 60_000 }));
        cpu.add('rsync', cpuSeconds);
      });
      rsync.push(corpus.totalBytes / 1e6 / rsyncSeconds);
      // The daemon's CPU for a transfer is its per-connection child's, counted once the daemon has reaped it.
      await childrenReaped(daemon.child.pid!);
      cpu.addGrowth('rsync daemon', daemonBefore, processCpu(daemon.child.pid!), 'reaped');
      await rm(join(rsyncRoot, `out-${run}`), { recursive: true, force: true });
    }
  } finally {
    serve.child.kill('SIGTERM');
    daemon.child.kill('SIGTERM');
  }
  const cpuNote = cpu.describe();
  return {
    name: `remote catch-up over loopback, ${spec.name} corpus ${(corpus.totalBytes / 1e6).toFixed(0)} MB / ${corpus.fileCount} files`,
    unit: 'MB/s',
    higherIsBetter: true,
    series: [{ tool: 'synclog', samples: synclog }, { tool: 'rsync -a (daemon)', samples: rsync }],
    note:
      'serve + receive --from --once vs rsync -a to an rsync daemon, both on 127.0.0.1; each timing ends after a system-wide sync' +
      (cpuNote ? `; CPU-s per run (user + system, median): ${cpuNote}` : '') +
      `; load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
  };
}

/** Median CPU-seconds per side of a comparison, for a row's note. */
class CpuSamples {
  private readonly samples = new Map<string, number[]>();

  constructor(private readonly sides: readonly string[]) {}

  add(side: string, seconds: number | undefined): void {
    if (seconds === undefined) return;
    let list = this.samples.get(side);
    if (!list) this.samples.set(side, (list = []));
    list.push(seconds);
  }

  addGrowth(side: string, before: ProcessCpu | undefined, after: ProcessCpu | undefined, field: keyof ProcessCpu): void {
    if (before && after) this.add(side, after[field] - before[field]);
  }

  /** "receive 2.61, serve 0.31, …" (sides without samples left out); empty when none has any. */
  describe(): string {
    return this.sides
      .filter((side) => this.samples.has(side))
      .map((side) => `${side} ${summarize(this.samples.get(side)!)!.median.toFixed(2)}`)
      .join(', ');
  }
}

/** Waits (at most `timeoutMs`) until process `pid` has no child left (Linux /proc; elsewhere returns at once). */
async function childrenReaped(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let children: string;
    try {
      children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    } catch {
      return;
    }
    if (children.trim() === '') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A text file of `bytes` bytes: lines of pseudo-random words (compressible, like real text). */
export async function writeText(path: string, bytes: number): Promise<void> {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'log', 'frame', 'chunk', 'receiver', 'synclog', 'network', 'watch', 'version'];
  let x = 12345;
  const handle = await open(path, 'w');
  let written = 0;
  while (written < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const line: string[] = [];
      for (let w = 0; w < 10; w++) {
        x = (x * 1103515245 + 12345) >>> 0;
        line.push(words[x % words.length]! + (x % 1000));
      }
      lines.push(line.join(' '));
    }
    const block = Buffer.from(lines.join('\n') + '\n').subarray(0, bytes - written);
    await handle.write(block);
    written += block.length;
  }
  await handle.close();
}

async function editRow(options: BenchModuleOptions, cli: string, size: number): Promise<BenchRow> {
  const source = join(options.workDir, `edit-src-${size}`);
  await mkdir(source, { recursive: true });
  const file = join(source, 'big.txt');
  const logDir = join(options.workDir, `edit-log-${size}`);
  const rsyncRoot = join(options.workDir, `edit-rsync-${size}`);
  const daemon = await startRsyncDaemon(options.workDir, rsyncRoot);
  const synclog: number[] = [];
  const rsync: number[] = [];
  try {
    for (let run = 0; run < options.runs; run++) {
      await rm(logDir, { recursive: true, force: true });
      await writeText(file, size);
      await runChecked(process.execPath, [cli, 'snapshot', source, '--log', logDir]);
      const serve = await startServe(cli, logDir);
      const proxy = await countingProxy(Number(new URL(serve.url).port));
      const via = `http://127.0.0.1:${proxy.port}/`;
      const out = join(options.workDir, `edit-out-${size}-${run}`);
      try {
        await runChecked(process.execPath, [cli, 'receive', '--from', via, '--out', out, '--once']);
        await runChecked('rsync', ['-a', `${source}/`, `${daemon.url}/run-${run}/`]);
        const handle = await open(file, 'r+');
        await handle.write(Buffer.alloc(1024, 'x'), 0, 1024, Math.floor(size / 2));
        await handle.close();
        await runChecked(process.execPath, [cli, 'snapshot', source, '--log', logDir]);
        proxy.reset();
        await runChecked(process.execPath, [cli, 'receive', '--from', via, '--out', out, '--once']);
        synclog.push(proxy.bytes() / 1024);
        const stats = (await runChecked('rsync', ['-a', '--stats', `${source}/`, `${daemon.url}/run-${run}/`])).stdout;
        const sent = Number(/Total bytes sent: ([\d,]+)/.exec(stats)?.[1]?.replace(/,/g, '') ?? NaN);
        const received = Number(/Total bytes received: ([\d,]+)/.exec(stats)?.[1]?.replace(/,/g, '') ?? NaN);
        rsync.push((sent + received) / 1024);
      } finally {
        proxy.server.close();
        serve.child.kill('SIGTERM');
        await rm(out, { recursive: true, force: true });
      }
    }
  } finally {
    daemon.child.kill('SIGTERM');
    await rm(source, { recursive: true, force: true });
    await rm(logDir, { recursive: true, force: true });
    await rm(rsyncRoot, { recursive: true, force: true });
  }
  return {
    name: `bytes on the wire for a 1 KiB edit in a ${size / 1024 / 1024} MiB text file`,
    unit: 'KiB',
    higherIsBetter: false,
    series: [{ tool: 'synclog', samples: synclog }, { tool: 'rsync -a (daemon)', samples: rsync }],
    note: 'synclog: all bytes both ways through a counting proxy (HTTP, record stream, chunk batches); rsync: --stats sent + received',
  };
}

/** `count` files of `bytes` seeded pseudo-random bytes each (half text-like, half incompressible) under `root`. */
async function writeFollowerCorpus(root: string, count: number, bytes: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const dir = join(root, `d${i % 10}`);
    await mkdir(dir, { recursive: true });
    const prng = new Prng(4242, i);
    const data = Buffer.alloc(bytes);
    for (let at = 0; at + 4 <= bytes; at += 4) data.writeUInt32LE(i % 2 ? prng.nextUint32() : 0x61616161 + (prng.nextUint32() & 0x07070707), at);
    await writeFile(join(dir, `f${i}.bin`), data);
  }
}

/**
 * Where the followers of the followers row run. On a real deployment they are other machines: their CPU and their
 * disk are not the writer's, and what the writer's machine pays for them is `serve` (reading the log, sending it).
 * This 2-core machine can only stand in for that: "remote" runs each follower at the lowest CPU priority (`nice -n
 * 19`) with its tree on tmpfs (/dev/shm), so its work and fsyncs queue behind the writer's instead of in front of
 * them, while `serve` runs as it would; "local" runs them as plain processes writing to the same disk, which is the
 * cost of 20 mirrors on the writer's own machine. Both rows are printed: neither is the other.
 */
type FollowerPlacement = 'remote' | 'local';

/** A tmpfs directory followers may write to (the "remote" stand-in), or undefined when there is none. */
async function tmpfsDir(): Promise<string | undefined> {
  try {
    return await mkdtemp(join('/dev/shm', 'synclog-bench-followers-'));
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far (bench/lib/process-cpu.ts), or NaN where /proc cannot say. */
function cpuSecondsOf(pid: number | undefined): number {
  return pid === undefined ? NaN : (processCpu(pid)?.own ?? NaN);
}

/**
 * The writer's ingest rate with followers attached: `synclog snapshot` of a corpus into a log that `synclog serve`
 * serves while FOLLOWERS `receive --from` followers (each caught up, following) tail it, vs the same log set-up with
 * none, alternating in the same run. The snapshot runs in its own process; its wall time (ended by a system-wide
 * sync) is what counts. Follower 0's tree is checked against the corpus afterwards, so the followers did the work.
 * `placement` says where the followers run (FollowerPlacement); serve's CPU during the snapshot goes in the note.
 */
async function followersIngestRow(options: BenchModuleOptions, cli: string, placement: FollowerPlacement): Promise<BenchRow> {
  const followerCount = 20;
  const [fileCount, fileBytes] = options.quick ? [200, 128 * 1024] : [800, 128 * 1024];
  const corpus = join(options.workDir, 'followers-corpus', 'corpus');
  await writeFollowerCorpus(corpus, fileCount, fileBytes);
  const expected = await hashTree(corpus);
  const seed = join(options.workDir, 'followers-seed');
  await mkdir(seed, { recursive: true });
  await writeFile(join(seed, 'seed.txt'), 'seed\n');
  const totalMb = (fileCount * fileBytes) / 1e6;
  const shm = placement === 'remote' ? await tmpfsDir() : undefined;
  const outRoot = shm ?? options.workDir;
  const [command, prefix] = placement === 'remote' ? ['nice', ['-n', '19', process.execPath]] : [process.execPath, []];
  const alone: number[] = [];
  const followed: number[] = [];
  const followedNormal: number[] = [];
  const serveCpu: number[] = [];
  /** serve's CPU during the snapshot alone, and how long after the snapshot's end follower 0 had the whole corpus. */
  const serveCpuDuring: number[] = [];
  const followerLagSeconds: number[] = [];
  // Remote: also with serve at normal priority (`--priority normal`; its default when it only reads is low, nice 10),
  // so the row shows what that default buys. Set-ups rotate run by run: none, followers, followers + normal priority.
  const setups = placement === 'remote' ? (['none', 'followers', 'followers-normal'] as const) : (['none', 'followers'] as const);
  try {
    for (let run = 0; run < options.runs * setups.length; run++) {
      const setup = setups[run % setups.length]!;
      const withFollowers = setup !== 'none';
      const logDir = join(options.workDir, `followers-log-${run}`);
      await runChecked(process.execPath, [cli, 'snapshot', seed, '--log', logDir]);
      const serve = await startServe(cli, logDir, setup === 'followers-normal' ? ['--priority', 'normal'] : []);
      const followers: ChildProcess[] = [];
      try {
        if (withFollowers) {
          for (let i = 0; i < followerCount; i++) {
            const child = spawn(command, [...prefix, cli, 'receive', '--from', serve.url, '--out', join(outRoot, `followers-out-${run}-${i}`)], { stdio: ['ignore', 'pipe', 'ignore'] });
            followers.push(child);
          }
          // Twenty processes starting at once on a loaded 2-core machine: each costs ~1 CPU-s to start and catch up, so
          // a fixed 60 s (what this waited before) was too short for all of them; the wait grows with their count.
          await Promise.all(followers.map((child) => waitForLine(child, /caught up/, FOLLOWER_START_MS_EACH * followerCount)));
        }
        const cpuBefore = cpuSecondsOf(serve.child.pid);
        const seconds = await timedRun(() => runChecked(process.execPath, [cli, 'snapshot', corpus, '--log', logDir], { timeoutMs: 30 * 60_000 }));
        const snapshotEnded = performance.now();
        if (setup === 'followers') serveCpuDuring.push(cpuSecondsOf(serve.child.pid) - cpuBefore);
        (setup === 'none' ? alone : setup === 'followers' ? followed : followedNormal).push(totalMb / seconds);
        if (withFollowers) {
          const far = join(outRoot, `followers-out-${run}-0`, 'corpus');
          const until = performance.now() + 10 * 60_000;
          while (!compareTrees(expected, await hashTree(far).catch(() => new Map())).equal) {
            if (performance.now() > until) throw new Error('follower 0 did not get the corpus within 10 minutes');
            await new Promise((r) => setTimeout(r, 500));
          }
          // serve's CPU from the snapshot's start until follower 0 had everything: what the writer's machine paid.
          if (setup === 'followers') {
            serveCpu.push(cpuSecondsOf(serve.child.pid) - cpuBefore);
            // Polled every 0.5 s, so this is to within half a second.
            followerLagSeconds.push((performance.now() - snapshotEnded) / 1000);
          }
        }
      } finally {
        await Promise.all(followers.map((child) => new Promise((done) => {
          if (child.exitCode !== null) return done(undefined);
          child.once('exit', done);
          child.kill('SIGTERM');
        })));
        serve.child.kill('SIGTERM');
        for (let i = 0; i < followers.length; i++) await rm(join(outRoot, `followers-out-${run}-${i}`), { recursive: true, force: true });
        await rm(logDir, { recursive: true, force: true });
      }
    }
  } finally {
    if (shm) await rm(shm, { recursive: true, force: true });
  }
  const where = placement === 'remote'
    ? `followers stand in for other machines: nice -n 19, trees on ${shm ? 'tmpfs (/dev/shm)' : 'the same disk (no /dev/shm here)'}`
    : 'followers on this machine: normal priority, trees on the same disk as the log';
  const median = (values: number[]): number | undefined => {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : undefined;
  };
  const [cpuAll, cpuDuring, lag] = [median(serveCpu), median(serveCpuDuring), median(followerLagSeconds)];
  // What the writer competes with while it ingests is serve's CPU during the snapshot; the followers, niced, take
  // the corpus seconds later, so most chunk answers go out after it (docs/protocol.md "Clients").
  const cpuNote = cpuAll === undefined ? '' : `; serve's CPU (median): ${cpuDuring?.toFixed(2) ?? '?'} s during the snapshot, ${cpuAll.toFixed(2)} s until follower 0 had the corpus, ${lag?.toFixed(1) ?? '?'} s after the snapshot ended`;
  return {
    name: `writer's ingest with ${followerCount} followers attached vs none (${placement === 'remote' ? 'followers remote' : 'followers on the same machine'}), ${fileCount} files / ${totalMb.toFixed(0)} MB`,
    unit: 'MB/s',
    higherIsBetter: true,
    series: [
      { tool: `synclog, ${followerCount} followers`, samples: followed },
      ...(placement === 'remote' ? [{ tool: `synclog, ${followerCount} followers, serve --priority normal`, samples: followedNormal }] : []),
      { tool: 'synclog, no follower', samples: alone },
    ],
    note: `snapshot into a log served by synclog serve (at its default priority when it only reads: low, nice 10), with ${followerCount} receive --from followers tailing it (caught up first) or none, in rotation; ${where}${cpuNote}; target ≥ 0.9× (for followers on other machines)`,
  };
}

/** Waits until `child` prints a line matching `pattern` on stdout (any stream position). */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs?: number): Promise<void> {
  return waitForOutput(child, pattern, timeoutMs).then(() => undefined);
}

/** Time allowed per follower for all of them to start and report caught up (they start together). */
const FOLLOWER_START_MS_EACH = 15_000;

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Live lag: `serve --watch` records a folder and serves it; `receive --from` follows it into another folder. For each
 * of N small files written on the watched side, the time until the far side has it complete (its bytes read back
 * equal), polled every 2 ms. The watcher's debounce (100 ms by default) is part of every figure: the target
 * is p99 ≤ debounce + 250 ms. No peer: rsync has no live mode.
 */
async function liveLagRows(options: BenchModuleOptions, cli: string): Promise<BenchRow[]> {
  const edits = options.quick ? 30 : 100;
  const source = join(options.workDir, 'lag-src');
  const logDir = join(options.workDir, 'lag-log');
  const out = join(options.workDir, 'lag-out');
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'seed.txt'), 'seed\n');
  const serve = spawn(process.execPath, [cli, 'serve', '--log', logDir, '--listen', '127.0.0.1:0', '--watch', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const p50: number[] = [];
  const p99: number[] = [];
  try {
    const url = await waitForOutput(serve, / on (http:\/\/\S+) while watching/);
    const receive = spawn(process.execPath, [cli, 'receive', '--from', url, '--out', out], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await waitForLine(receive, /caught up/);
      const { readFile } = await import('node:fs/promises');
      for (let run = 0; run < options.runs; run++) {
        const lags: number[] = [];
        for (let i = 0; i < edits; i++) {
          const name = `edit-${run}-${i}.txt`;
          const body = `edit ${run} ${i} ${'x'.repeat(200)}\n`;
          await writeFile(join(source, name), body);
          const started = performance.now();
          const far = join(out, 'lag-src', name);
          for (;;) {
            const got = await readFile(far, 'utf8').catch(() => undefined);
            if (got === body) break;
            if (performance.now() - started > 30_000) throw new Error(`${name} did not arrive within 30 s`);
            await new Promise((r) => setTimeout(r, 2));
          }
          lags.push(performance.now() - started);
          await new Promise((r) => setTimeout(r, 50)); // one edit at a time: each lag is a single change's
        }
        lags.sort((a, b) => a - b);
        p50.push(percentile(lags, 50));
        p99.push(percentile(lags, 99));
      }
    } finally {
      // The follower first, and wait for it: a server stopping under it would only make it say so.
      await new Promise((done) => {
        receive.once('exit', done);
        receive.kill('SIGTERM');
      });
    }
  } finally {
    serve.kill('SIGTERM');
  }
  const note = `${edits} single-file writes per run, one at a time; includes the watcher's 100 ms debounce (target: p99 ≤ 350 ms)`;
  return [
    { name: 'live lag, write on the watched side → complete on the far side, p50', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p50 }], note },
    { name: 'live lag, p99', unit: 'ms', higherIsBetter: false, series: [{ tool: 'synclog', samples: p99 }] },
  ];
}

/** The rows this module measures, by the name `--only` takes. */
export const NET_BENCH_PARTS = ['catch-up', 'edit', 'lag', 'followers'] as const;
export type NetBenchPart = (typeof NET_BENCH_PARTS)[number];

/** The 1 KiB edit is measured in a 20 MiB and in a 100 MiB file (the target is for the 100 MiB one). */
const EDIT_FILE_BYTES = [20 * 1024 * 1024, 100 * 1024 * 1024] as const;

export async function runNetBench(options: Partial<BenchModuleOptions> = {}, only: readonly NetBenchPart[] = NET_BENCH_PARTS): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const full: BenchModuleOptions = {
    quick,
    runs: options.runs || (quick ? 1 : 3),
    workDir: options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-net-'))),
    repoRoot: options.repoRoot ?? REPO_ROOT,
  };
  const cli = join(full.repoRoot, 'bin', 'synclog.js');
  const rows: BenchRow[] = [];
  if (only.includes('catch-up')) rows.push(await catchUpRow(full, cli));
  if (only.includes('edit')) for (const size of EDIT_FILE_BYTES) rows.push(await editRow(full, cli, size));
  if (only.includes('lag')) rows.push(...(await liveLagRows(full, cli)));
  if (only.includes('followers')) for (const placement of ['remote', 'local'] as const) rows.push(await followersIngestRow(full, cli, placement));
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(`usage: npx tsx bench/net.ts [--quick] [--runs N] [--only ${NET_BENCH_PARTS.join(',')}]\n`);
    return;
  }
  const rows = await runNetBench(moduleOptionsFromArgs(args), onlyFromArgs(args, NET_BENCH_PARTS));
  process.stdout.write(renderTable(rows) + '\n\n' + renderNotes(rows) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
