// Random operations on three `synclog sync` nodes (CLI processes on loopback): creates, edits, deletes, renames and
// folder moves spread over the nodes, random pauses, and SIGKILLs of nodes that are restarted a few operations
// later (a killed node's folder is edited while it is down too). At the end every node is up, and the folders must
// converge byte for byte, every log must hold the same versions (each made once, by one node), and every content
// that any log recorded must be in every log. The suite runs SYNCLOG_SYNC_OPS (default 30) operations; the stress
// script (stress/sync-random.ts, --ops N, default 300) runs more. The seed is printed: SYNCLOG_SYNC_SEED repeats a run.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Prng } from '../../bench/lib/prng.js';
import { runCli } from '../helpers/run-cli.js';
import { makeNodes, startNode, stopNode, trees, type SyncNodeProcess } from '../helpers/sync-nodes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const OPS = Number(process.env.SYNCLOG_SYNC_OPS ?? 30);
const SEED = Number(process.env.SYNCLOG_SYNC_SEED ?? Date.now() % 1_000_000);
const NAMES = ['a.txt', 'b.md', 'c.bin', 'd'];
const DIRS = ['', 'x', 'y', 'x/z'];

let running: SyncNodeProcess[] = [];

afterEach(async () => {
  await Promise.all(running.map((n) => stopNode(n, 'SIGKILL')));
  running = [];
});

/** Files and folders under `dir` (relative, '/'-separated), skipping the nodes' temp files. */
async function entries(dir: string, prefix = ''): Promise<{ files: string[]; dirs: string[] }> {
  const out = { files: [] as string[], dirs: [] as string[] };
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    if (entry.name.includes('.synclog-tmp-')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      out.dirs.push(rel);
      const inner = await entries(dir, rel);
      out.files.push(...inner.files);
      out.dirs.push(...inner.dirs);
    } else out.files.push(rel);
  }
  return out;
}

async function logOf(log: string): Promise<{ versionId: string; contentId?: string }[]> {
  const result = await runCli(['log', '--log', log, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { versionId: string; contentId?: string }[];
}

/** One random operation on `node`'s folder; a path that vanished under it (a sync write) is simply skipped. */
async function operate(node: SyncNodeProcess, rng: Prng, n: number): Promise<string> {
  const { files, dirs } = await entries(node.dir);
  const pick = <T>(list: readonly T[]) => list[rng.nextUint32() % list.length]!;
  const roll = rng.nextUint32() % 100;
  try {
    if (roll < 35 || files.length === 0) {
      const dir = pick(DIRS);
      if (dir) await mkdir(join(node.dir, dir), { recursive: true });
      const path = dir ? `${dir}/${pick(NAMES)}` : pick(NAMES);
      await writeFile(join(node.dir, path), `op ${n} on ${node.name}: ${'.'.repeat(rng.nextUint32() % 200)}\n`);
      return `write ${path}`;
    }
    if (roll < 60) {
      const path = pick(files);
      await writeFile(join(node.dir, path), `edit ${n} on ${node.name}\n`, { flag: 'a' });
      return `append ${path}`;
    }
    if (roll < 75) {
      const path = pick(files);
      await rm(join(node.dir, path));
      return `delete ${path}`;
    }
    if (roll < 90) {
      const path = pick(files);
      const to = `${path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : ''}r${n}-${pick(NAMES)}`;
      await rename(join(node.dir, path), join(node.dir, to));
      return `rename ${path} ${to}`;
    }
    if (dirs.length === 0) return 'nothing to move';
    const dir = pick(dirs);
    const to = `moved${n}`;
    await rename(join(node.dir, dir), join(node.dir, to));
    return `move ${dir} ${to}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EINVAL') return `skipped (${code})`;
    throw error;
  }
}

describe('synclog sync: random operations with kills', () => {
  it(`${OPS} operations on three nodes converge, and every log holds every version`, async () => {
    process.stdout.write(`sync-random: seed ${SEED}, ${OPS} operations\n`);
    const rng = new Prng(SEED);
    const work = await makeTmpDir();
    const nodes = await makeNodes(work, ['r1', 'r2', 'r3']);
    running = nodes;
    for (const node of nodes) await startNode(node, nodes);
    const down = new Map<SyncNodeProcess, number>();
    const killEvery = Math.max(8, Math.floor(OPS / 10));
    for (let n = 0; n < OPS; n++) {
      const node = nodes[rng.nextUint32() % nodes.length]!;
      await operate(node, rng, n);
      if (n % killEvery === killEvery - 1) {
        const victim = nodes[rng.nextUint32() % nodes.length]!;
        if (!down.has(victim)) {
          await stopNode(victim, 'SIGKILL');
          down.set(victim, n + 1 + (rng.nextUint32() % 5));
        }
      }
      for (const [stopped, at] of down) {
        if (at > n) continue;
        down.delete(stopped);
        await startNode(stopped, nodes);
      }
      await new Promise((resolve) => setTimeout(resolve, rng.nextUint32() % 300));
    }
    for (const stopped of down.keys()) await startNode(stopped, nodes);

    // Converged and quiet: the same tree on every node, three looks in a row.
    let stable = 0;
    let last: string[] = [];
    await waitFor(async () => {
      last = await trees(nodes);
      stable = last.every((t) => t === last[0]) ? stable + 1 : 0;
      return stable >= 3;
    }, 'the three folders to converge', Number(process.env.SYNCLOG_SYNC_SETTLE_MS ?? 240_000), 500, () => ({ seed: SEED, work, trees: last, stderr: nodes.map((n) => n.stderr.slice(-2000)), events: nodes.map((n) => n.events.filter((e) => e.event !== 'recorded' && e.event !== 'applied' && e.event !== 'copied').slice(-20)) }));
    // The logs: wait until every node holds every version (copies may still be landing), then compare.
    await waitFor(async () => {
      const ids = await Promise.all(nodes.map(async (n) => (await logOf(n.log)).map((v) => v.versionId).sort().join()));
      return ids.every((l) => l === ids[0]);
    }, 'every log to hold the same versions', 120_000, 1000);
    for (const node of nodes) await stopNode(node);
    const logs = await Promise.all(nodes.map((n) => logOf(n.log)));
    const ids = logs[0]!.map((v) => v.versionId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const log of logs.slice(1)) expect(log.map((v) => v.versionId).sort()).toEqual([...ids].sort());
    const contents = (log: { contentId?: string }[]) => new Set(log.map((v) => v.contentId).filter(Boolean));
    for (const log of logs.slice(1)) expect(contents(log)).toEqual(contents(logs[0]!));
  }, Math.max(600_000, OPS * 4000));
});
