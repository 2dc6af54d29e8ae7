// Catch-up on a real history: 30 published releases of typescript (bench/lib/npm-history.ts TYPESCRIPT_HISTORY;
// --quick: the last 8), laid one after another onto one tree, each recorded with `synclog snapshot` and backed up
// with `restic backup` (interleaved, release by release: the per-version snapshot row). Then, on that one log:
//  - `synclog receive --once --mode latest` into an empty folder (the catch-up that skips the past),
//  - `synclog checkout --at now` into an empty folder,
//  - `rsync -a` of the final tree into an empty folder (the baseline: a plain copy of what survives),
// in rotating order, page cache dropped before each when permitted, each timing ending after a system-wide `sync`.
// synclog's trees are compared (paths, sizes, sha256) with the final tree before their time counts.
// Run alone: npx tsx bench/history-catchup.ts [--quick] [--runs N]; the harness calls runHistoryCatchupBench.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs } from './lib/bench-row.js';
import { runChecked, syncDisks, timedRun } from './lib/child-process.js';
import { PageCache } from './lib/machine.js';
import { ensureHistory, syncTree, TYPESCRIPT_HISTORY } from './lib/npm-history.js';
import { renderTable } from './lib/table.js';
import { compareTrees, hashTree } from './lib/tree-digest.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESTIC_ENV = { RESTIC_PASSWORD: 'synclog-bench' };

async function dirBytes(dir: string): Promise<number> {
  const { stdout } = await runChecked('du', ['-sb', dir]);
  return Number(stdout.split(/\s/)[0]);
}

interface Ingested {
  tree: string;
  logDir: string;
  snapshotSeconds: number;
  resticSeconds: number | undefined;
  logBytes: number;
  resticBytes: number | undefined;
}

/** Lays each release onto the tree; snapshots it with synclog and backs it up with restic, each timed. */
async function ingestHistory(workDir: string, cli: string, count: number, log: (line: string) => void): Promise<Ingested> {
  const versions = await ensureHistory(join(REPO_ROOT, 'bench', '.cache'), count, log, TYPESCRIPT_HISTORY);
  const tree = join(workDir, 'typescript');
  const logDir = join(workDir, 'log');
  const repo = join(workDir, 'restic-repo');
  const restic = await runChecked('restic', ['init', '--repo', repo], { env: { ...RESTIC_ENV, RESTIC_CACHE_DIR: join(workDir, 'restic-cache') } }).then(() => true, () => false);
  let snapshotSeconds = 0;
  let resticSeconds = 0;
  for (const { version, dir } of versions) {
    await syncTree(dir, tree);
    await syncDisks();
    snapshotSeconds += await timedRun(() => runChecked(process.execPath, [cli, 'snapshot', tree, '--log', logDir, '--json'], { timeoutMs: 30 * 60_000 }));
    if (restic) resticSeconds += await timedRun(() => runChecked('restic', ['backup', '--repo', repo, tree], { env: { ...RESTIC_ENV, RESTIC_CACHE_DIR: join(workDir, 'restic-cache') } }));
    log(`  typescript@${version}: synclog ${snapshotSeconds.toFixed(1)} s, restic ${resticSeconds.toFixed(1)} s so far`);
  }
  return { tree, logDir, snapshotSeconds, resticSeconds: restic ? resticSeconds : undefined, logBytes: await dirBytes(logDir), resticBytes: restic ? await dirBytes(repo) : undefined };
}

type CatchUpTool = { tool: string; run(out: string): Promise<unknown>; check?: (out: string) => string };

export async function runHistoryCatchupBench(options: Partial<BenchModuleOptions> = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const runs = options.runs ?? 3;
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-history-')));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const cli = join(repoRoot, 'bin', 'synclog.js');
  const count = quick ? 8 : TYPESCRIPT_HISTORY.versions.length;
  try {
    const ingested = await ingestHistory(workDir, cli, count, log);
    const expected = await hashTree(ingested.tree);
    const name = basename(ingested.tree);
    const tools: CatchUpTool[] = [
      { tool: 'synclog receive', run: (out) => runChecked(process.execPath, [cli, 'receive', '--log', ingested.logDir, '--out', out, '--mode', 'latest', '--once', '--json'], { timeoutMs: 30 * 60_000 }), check: (out) => join(out, name) },
      { tool: 'synclog checkout', run: (out) => runChecked(process.execPath, [cli, 'checkout', '--log', ingested.logDir, '--out', out, '--at', 'now', '--json'], { timeoutMs: 30 * 60_000 }), check: (out) => join(out, name) },
      { tool: 'rsync -a', run: (out) => runChecked('rsync', ['-a', `${ingested.tree}/`, `${out}/`]) },
    ];
    const cache = await PageCache.detect();
    const seconds = new Map<string, number[]>(tools.map((t) => [t.tool, []]));
    for (let run = 0; run < runs; run++) {
      for (const tool of tools.map((_, i) => tools[(i + run) % tools.length]!)) {
        const out = join(workDir, `out-${tool.tool.replace(/\W+/g, '-')}`);
        await rm(out, { recursive: true, force: true });
        await cache.prepare();
        const time = await timedRun(() => tool.run(out));
        if (tool.check) {
          const diff = compareTrees(expected, await hashTree(tool.check(out)));
          if (!diff.equal) throw new Error(`${tool.tool} produced a different tree: ${JSON.stringify(diff)}`);
        }
        seconds.get(tool.tool)!.push(time);
        log(`  run ${run + 1} ${tool.tool}: ${time.toFixed(2)} s`);
        await rm(out, { recursive: true, force: true });
      }
    }
    const what = `${count} releases of typescript (${TYPESCRIPT_HISTORY.versions[TYPESCRIPT_HISTORY.versions.length - count]} … ${TYPESCRIPT_HISTORY.versions.at(-1)})`;
    const rsync = seconds.get('rsync -a')!;
    return [
      {
        name: `catch-up of ${what} into an empty folder`,
        unit: 's',
        higherIsBetter: false,
        series: [
          { tool: 'synclog', samples: seconds.get('synclog receive')!, note: 'receive --once --mode latest' },
          { tool: 'rsync', samples: rsync, note: 'rsync -a of the final tree' },
        ],
        note: `${cache.label}; each timing ends after a system-wide sync; tools in rotating order; final tree ${(await dirBytes(ingested.tree) / 1e6).toFixed(1)} MB`,
      },
      {
        name: `checkout --at now of ${what}`,
        unit: 's',
        higherIsBetter: false,
        series: [{ tool: 'synclog', samples: seconds.get('synclog checkout')! }, { tool: 'rsync', samples: rsync, note: 'rsync -a of the final tree' }],
      },
      {
        name: `per-version snapshot, ${what} (total)`,
        unit: 's',
        higherIsBetter: false,
        series: [{ tool: 'synclog', samples: [ingested.snapshotSeconds] }, { tool: 'restic', samples: ingested.resticSeconds === undefined ? [] : [ingested.resticSeconds], ...(ingested.resticSeconds === undefined ? { note: 'restic not installed' } : {}) }],
        note: 'warm cache (each release was just laid onto the tree; synced before each timing); one run',
      },
      {
        name: `repository size after ${what}`,
        unit: 'MB',
        higherIsBetter: false,
        series: [{ tool: 'synclog', samples: [ingested.logBytes / 1e6] }, { tool: 'restic', samples: ingested.resticBytes === undefined ? [] : [ingested.resticBytes / 1e6] }],
      },
    ];
  } finally {
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows = await runHistoryCatchupBench(moduleOptionsFromArgs(process.argv.slice(2)));
  process.stdout.write(renderTable(rows) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
