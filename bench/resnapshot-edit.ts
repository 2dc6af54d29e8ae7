// Re-snapshot of one large file after a 1 KiB edit, against restic in the same run: a 100 MiB text file (quick:
// 32 MiB) is snapshotted once with `synclog snapshot` and backed up once with `restic backup` (untimed), then edited
// in the middle (overwrite: 1 KiB replaced in place; insert: 1 KiB inserted, so every later byte moves), then both
// run again, timed (each timing ends after a system-wide `sync`), in rotating order. Also the growth of the log and
// of restic's repository by that second run. Warm page cache (the edit just rewrote the file), said in the note.
// `--base <bin/synclog.js>` adds a second synclog build as the series "synclog-base" (a before/after in one run).
// Run alone: npx tsx bench/resnapshot-edit.ts [--quick] [--runs N] [--base path]; the harness may call runResnapshotEditBench.
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs } from './lib/bench-row.js';
import { runChecked, syncDisks, timedRun } from './lib/child-process.js';
import { renderTable } from './lib/table.js';

const MIB = 1024 * 1024;
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORDS = 'store chunk log segment version record the a of to and file path index watcher receiver archive'.split(' ');

/** Deterministic compressible text (xorshift over a small vocabulary), `bytes` long. */
function textFile(bytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = seed | 1;
  let at = 0;
  while (at < bytes) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    at += out.write(`${WORDS[(x >>> 0) % WORDS.length]}${(x & 15) === 0 ? '\n' : ' '}${(x >>> 8) & 1023}`, at);
  }
  return out;
}

async function dirBytes(dir: string): Promise<number> {
  const { stdout } = await runChecked('du', ['-sb', dir]);
  return Number(stdout.split(/\s/)[0]);
}

type Edit = 'overwrite' | 'insert';

function edited(original: Buffer, edit: Edit): Buffer {
  const at = Math.floor(original.length / 2);
  const patch = Buffer.alloc(1024, 'x');
  if (edit === 'overwrite') {
    const copy = Buffer.from(original);
    patch.copy(copy, at);
    return copy;
  }
  return Buffer.concat([original.subarray(0, at), patch, original.subarray(at)]);
}

interface Tool {
  tool: string;
  note?: string;
  /** Sets up an empty repository for `run`, then backs `source` up (untimed: the first snapshot). */
  prepare(run: number, source: string): Promise<void>;
  /** The timed re-snapshot. */
  again(source: string): Promise<unknown>;
  bytes(): Promise<number>;
}

function synclogTool(tool: string, cli: string, workDir: string): Tool {
  let logDir = '';
  return {
    tool,
    note: cli,
    async prepare(run, source) {
      logDir = join(workDir, `${tool}-log-${run}`);
      await rm(logDir, { recursive: true, force: true });
      await runChecked(process.execPath, [cli, 'snapshot', source, '--log', logDir, '--json'], { timeoutMs: 10 * 60_000 });
    },
    again: (source) => runChecked(process.execPath, [cli, 'snapshot', source, '--log', logDir, '--json'], { timeoutMs: 10 * 60_000 }),
    bytes: () => dirBytes(logDir),
  };
}

function resticTool(workDir: string): Tool {
  let repo = '';
  const env = { RESTIC_PASSWORD: 'synclog-bench', RESTIC_CACHE_DIR: join(workDir, 'restic-cache') };
  return {
    tool: 'restic',
    async prepare(run, source) {
      repo = join(workDir, `restic-repo-${run}`);
      await rm(repo, { recursive: true, force: true });
      await runChecked('restic', ['init', '--repo', repo], { env });
      await runChecked('restic', ['backup', '--repo', repo, source], { env });
    },
    again: (source) => runChecked('restic', ['backup', '--repo', repo, source], { env }),
    bytes: () => dirBytes(repo),
  };
}

export async function runResnapshotEditBench(options: Partial<BenchModuleOptions> & { baseCli?: string } = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const runs = Math.max(1, options.runs ?? 3);
  const bytes = (quick ? 32 : 100) * MIB;
  const cli = join(options.repoRoot ?? REPO_ROOT, 'bin', 'synclog.js');
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-resnapshot-')));
  await mkdir(workDir, { recursive: true });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const rows: BenchRow[] = [];
  const loadAtStart = loadavg()[0]!;
  try {
    const original = textFile(bytes, 12345);
    for (const edit of ['overwrite', 'insert'] as const) {
      const tools = [synclogTool('synclog', cli, workDir), resticTool(workDir)];
      if (options.baseCli) tools.push(synclogTool('synclog-base', options.baseCli, workDir));
      const seconds = new Map<string, number[]>(tools.map((t) => [t.tool, []]));
      const growth = new Map<string, number[]>(tools.map((t) => [t.tool, []]));
      const changed = edited(original, edit);
      for (let run = 0; run < runs; run++) {
        const order = tools.map((_, i) => tools[(i + run) % tools.length]!);
        for (const tool of order) {
          // Each tool gets its own copy of the tree: the same bytes, and a fresh inode/mtime for the edit.
          const source = join(workDir, `src-${tool.tool}`, 'tree');
          await rm(dirname(source), { recursive: true, force: true });
          await mkdir(source, { recursive: true });
          await writeFile(join(source, 'big.txt'), original);
          await tool.prepare(run, source);
          const before = await tool.bytes();
          const handle = await open(join(source, 'big.txt'), 'w');
          await handle.writeFile(changed);
          await handle.close();
          await syncDisks();
          const time = await timedRun(() => tool.again(source));
          seconds.get(tool.tool)!.push(time);
          growth.get(tool.tool)!.push((await tool.bytes()) - before);
          log(`  ${edit} run ${run + 1} ${tool.tool}: ${time.toFixed(2)} s, +${(((await tool.bytes()) - before) / 1000).toFixed(0)} KB`);
          await rm(dirname(source), { recursive: true, force: true });
        }
      }
      const load = `load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`;
      rows.push({
        name: `re-snapshot after a 1 KiB ${edit} in a ${bytes / MIB} MiB text file`,
        unit: 's',
        higherIsBetter: false,
        series: tools.map((t) => ({ tool: t.tool, samples: seconds.get(t.tool)!, ...(t.note ? { note: t.note } : {}) })),
        note: `warm page cache (the edit just wrote the file), each timing ends after a system-wide sync, ${runs} runs, rotating order; ${load}`,
      });
      rows.push({
        name: `log / repository growth by that re-snapshot (${edit})`,
        unit: 'KB',
        higherIsBetter: false,
        series: tools.map((t) => ({ tool: t.tool, samples: growth.get(t.tool)!.map((b) => b / 1000) })),
      });
    }
  } finally {
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const baseAt = args.indexOf('--base');
  const rows = await runResnapshotEditBench({ ...moduleOptionsFromArgs(args, 3), ...(baseAt >= 0 ? { baseCli: args[baseAt + 1] } : {}) });
  process.stdout.write(renderTable(rows) + '\n' + rows.flatMap((row) => (row.note ? [`- ${row.name}: ${row.note}`] : [])).join('\n') + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
