// Runs the bench modules the other parts of synclog keep beside the harness (bench/log-append.ts, …) and gathers
// their rows. A module that is missing, throws, times out, or returns something that is not rows is skipped with a
// note in the table; it never stops the run.
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchModuleOptions, BenchRow, BenchSeries } from './bench-row.js';
import { describeFailure } from './series-book.js';

export const BENCH_MODULES = [
  { file: 'log-append.ts', exportName: 'runLogAppendBench', part: 'log' },
  { file: 'store-ingest.ts', exportName: 'runStoreIngestBench', part: 'store' },
  { file: 'watcher-capture.ts', exportName: 'runWatcherCaptureBench', part: 'watcher' },
  { file: 'receiver-catchup.ts', exportName: 'runReceiverCatchupBench', part: 'receiver' },
  { file: 'archive.ts', exportName: 'runArchiveBench', part: 'archive' },
  { file: 'history-catchup.ts', exportName: 'runHistoryCatchupBench', part: 'receiver' },
  { file: 'net.ts', exportName: 'runNetBench', part: 'net' },
  { file: 'push.ts', exportName: 'runPushBench', part: 'push' },
  { file: 'resnapshot-edit.ts', exportName: 'runResnapshotEditBench', part: 'store' },
  { file: 'sync.ts', exportName: 'runSyncBench', part: 'sync' },
  // Retention (issue 19): prune beside restic forget --prune.
  { file: 'prune.ts', exportName: 'runPruneBench', part: 'retention' },
  { file: 'jetstream.ts', exportName: 'runJetStreamBench', part: 'jetstream' },
] as const;

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number' && Number.isFinite(item));
}

/** Accepts BenchRow, and the obvious near misses (a single `value`, `samples` at the top), else undefined. */
export function normalizeRow(value: unknown, part: string): BenchRow | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const row = value as Record<string, unknown>;
  const name = typeof row.name === 'string' ? row.name : undefined;
  const unit = typeof row.unit === 'string' ? row.unit : '';
  if (!name) return undefined;
  const higherIsBetter = typeof row.higherIsBetter === 'boolean' ? row.higherIsBetter : /\/s$/.test(unit);
  let series: BenchSeries[] = [];
  if (Array.isArray(row.series)) {
    for (const item of row.series as unknown[]) {
      const s = item as Record<string, unknown>;
      if (typeof s?.tool !== 'string' || !isNumberArray(s.samples)) return undefined;
      series.push({ tool: s.tool, samples: s.samples, ...(typeof s.note === 'string' ? { note: s.note } : {}) });
    }
  } else if (isNumberArray(row.samples)) {
    series = [{ tool: typeof row.tool === 'string' ? row.tool : 'synclog', samples: row.samples }];
  } else if (typeof row.value === 'number' && Number.isFinite(row.value)) {
    series = [{ tool: typeof row.tool === 'string' ? row.tool : 'synclog', samples: [row.value] }];
  } else return undefined;
  const result: BenchRow = { name: `${part}: ${name}`, unit, higherIsBetter, series };
  if (typeof row.note === 'string') result.note = row.note;
  return result;
}

function noteRow(part: string, file: string, note: string): BenchRow {
  return { name: `${part}: bench/${file}`, unit: '', higherIsBetter: true, series: [{ tool: 'synclog', samples: [], note }] };
}

export interface ModuleRunOptions extends Omit<BenchModuleOptions, 'workDir'> {
  benchDir: string;
  workDir: string;
  timeoutMs: number;
  log: (line: string) => void;
}

async function runOne(entry: (typeof BENCH_MODULES)[number], options: ModuleRunOptions): Promise<BenchRow[]> {
  const path = join(options.benchDir, entry.file);
  if (!(await access(path).then(() => true, () => false))) return [noteRow(entry.part, entry.file, 'skipped: module not written yet')];
  const workDir = join(options.workDir, `module-${entry.part}`);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const run = module[entry.exportName];
    if (typeof run !== 'function') return [noteRow(entry.part, entry.file, `skipped: no export ${entry.exportName}`)];
    const moduleOptions: BenchModuleOptions = { quick: options.quick, runs: options.runs, workDir, repoRoot: options.repoRoot };
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    });
    const raw = await Promise.race([(run as (o: BenchModuleOptions) => Promise<unknown>)(moduleOptions), timeout]);
    if (!Array.isArray(raw)) return [noteRow(entry.part, entry.file, 'skipped: did not return an array of rows')];
    const rows = raw.map((item) => normalizeRow(item, entry.part));
    const good = rows.filter((row): row is BenchRow => row !== undefined);
    if (good.length < rows.length) good.push(noteRow(entry.part, entry.file, `${rows.length - good.length} row(s) not in BenchRow shape, left out`));
    return good;
  } catch (error) {
    return [noteRow(entry.part, entry.file, `skipped: ${describeFailure(error)}`)];
  } finally {
    if (timer) clearTimeout(timer);
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** Every module's rows in BENCH_MODULES order, one at a time (they share two cores with nothing else). */
export async function runBenchModules(options: ModuleRunOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const entry of BENCH_MODULES) {
    options.log(`module bench/${entry.file}…`);
    rows.push(...(await runOne(entry, options)));
  }
  return rows;
}
