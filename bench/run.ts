// `npm run bench` (`-- --quick` for a ~2 minute run): every speed and size claim synclog makes comes from here, from
// a run that also ran the tools a user would pick instead (restic, borg, git, rsync) on the same data, on the same
// machine, in the same run. Installs missing peers, prepares the data (a generated corpus, real npm history), runs
// each measurement several times, prints a markdown table of medians with min/max and synclog's ratio to each
// peer, and writes it to bench/results/ with date, machine and commit.
// It never runs in the test suite or CI. synclog is driven only through its built CLI (bin/synclog.js).
//
// Options: --quick, --runs N, --no-install, --skip-corpus, --skip-history, --skip-modules, --keep-work, --no-save
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackupTool } from './lib/backup-tool.js';
import type { BenchRow } from './lib/bench-row.js';
import { runBenchModules } from './lib/bench-modules.js';
import { ensureCorpus, type Corpus } from './lib/corpus.js';
import { CORPUS_SPECS } from './lib/corpus-plan.js';
import { describeMachine, measureSequentialRead, measureSequentialWrite, PageCache } from './lib/machine.js';
import { ensureHistory, HISTORY_PACKAGE } from './lib/npm-history.js';
import { borgTool, ensurePeers, gitTool, resticTool, rsyncTool } from './lib/peers.js';
import { renderReport, writeReport, type BenchReport } from './lib/results-file.js';
import { runCorpusScenario } from './lib/scenario-corpus.js';
import { runHistoryScenario } from './lib/scenario-history.js';
import { describeFailure } from './lib/series-book.js';
import { freezeBuild, openSynclogCli, synclogCheckoutTool, synclogTool } from './lib/synclog-tool.js';
import { digestOf, hashTree } from './lib/tree-digest.js';

interface Options {
  quick: boolean;
  runs: number;
  install: boolean;
  history: boolean;
  modules: boolean;
  corpus: boolean;
  keepWork: boolean;
  save: boolean;
}

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(BENCH_DIR, '..');
const CACHE_DIR = join(BENCH_DIR, '.cache');
const RESULTS_DIR = join(BENCH_DIR, 'results');
/** Versions of the real history: 30 in a full run, 10 in a quick one. */
const HISTORY_VERSIONS_FULL = 30;
const HISTORY_VERSIONS_QUICK = 10;
/** Bytes written by the sequential write + fdatasync measurement. */
const SEQ_WRITE_BYTES_FULL = 1024 * 1024 * 1024;
const SEQ_WRITE_BYTES_QUICK = 256 * 1024 * 1024;
const MODULE_TIMEOUT_MS_FULL = 15 * 60_000;
const MODULE_TIMEOUT_MS_QUICK = 3 * 60_000;

function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false, runs: 0, install: true, history: true, modules: true, corpus: true, keepWork: false, save: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--runs') options.runs = Number(argv[++i]);
    else if (arg === '--no-install') options.install = false;
    else if (arg === '--skip-history') options.history = false;
    else if (arg === '--skip-modules') options.modules = false;
    else if (arg === '--skip-corpus') options.corpus = false;
    else if (arg === '--keep-work') options.keepWork = true;
    else if (arg === '--no-save') options.save = false;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench -- [--quick] [--runs N] [--no-install] [--skip-corpus] [--skip-history] [--skip-modules] [--keep-work] [--no-save]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  if (!Number.isInteger(options.runs) || options.runs < 0) throw new Error('--runs needs a positive whole number');
  if (options.runs === 0) options.runs = 3;
  return options;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

async function machineRows(corpus: Corpus, workDir: string, cache: PageCache, options: Options): Promise<BenchRow[]> {
  const reads: number[] = [];
  const writes: number[] = [];
  const writeBytes = options.quick ? SEQ_WRITE_BYTES_QUICK : SEQ_WRITE_BYTES_FULL;
  for (let run = 0; run < options.runs; run++) {
    reads.push(await measureSequentialRead(corpus.root, cache));
    writes.push(await measureSequentialWrite(workDir, writeBytes, cache));
  }
  log(`machine: read ${reads.map((v) => v.toFixed(0)).join(', ')} MB/s; write+fdatasync ${writes.map((v) => v.toFixed(0)).join(', ')} MB/s`);
  return [
    { name: 'machine limit: sequential read of the corpus (every file, path order, 1 MiB reads)', unit: 'MB/s', higherIsBetter: true, series: [{ tool: 'machine', samples: reads }], note: cache.label },
    { name: `machine limit: sequential write of ${writeBytes / 2 ** 20} MiB + fdatasync`, unit: 'MB/s', higherIsBetter: true, series: [{ tool: 'machine', samples: writes }] },
  ];
}

/** A synclog ingest faster than reading the corpus cold is suspicious: say so next to the number. */
function flagTooGood(rows: BenchRow[], remarks: string[]): void {
  const read = rows.find((row) => row.name.startsWith('machine limit: sequential read'))?.series[0]?.samples ?? [];
  const ingest = rows.find((row) => row.unit === 'MB/s' && row.name.startsWith('initial ingest'));
  const own = ingest?.series.find((series) => series.tool === 'synclog');
  if (!own || own.samples.length === 0 || read.length === 0) return;
  const bestRead = Math.max(...read);
  if (Math.max(...own.samples) > bestRead * 1.1) {
    remarks.push(`CHECK: synclog's ingest (${Math.max(...own.samples).toFixed(0)} MB/s) beat the machine's sequential read (${bestRead.toFixed(0)} MB/s) in some run`);
  }
}

async function prepareTools(options: Options, workDir: string) {
  const home = join(workDir, 'home');
  await mkdir(home, { recursive: true });
  const missing = await ensurePeers(options.install, log);
  // A frozen copy of the build: other work on this machine may rebuild dist/ while the bench runs.
  // SYNCLOG_BENCH_BUILD_FROM: another build's root (bin/, dist/) to measure instead, e.g. a before/after pair of runs.
  const buildFrom = process.env.SYNCLOG_BENCH_BUILD_FROM ?? REPO_ROOT;
  const cli = await openSynclogCli(await freezeBuild(buildFrom, join(workDir, 'synclog-build')));
  const synclog = synclogTool(cli);
  for (const verb of ['snapshot', 'receive', 'stats'] as const) if (cli.missing(verb)) log(`synclog: ${cli.missing(verb)}`);
  const restic = await resticTool(home, missing.get('restic'));
  const borg = await borgTool(home, missing.get('borg'));
  const git = await gitTool(home, missing.get('git'));
  const rsync = await rsyncTool(missing.get('rsync'));
  const synclogRestoreTools: BackupTool[] = [synclogCheckoutTool(cli)];
  return { cli, ingestTools: [synclog, restic, borg, git] as BackupTool[], copyTools: [rsync] as BackupTool[], synclogRestoreTools };
}

async function runCorpusPart(options: Options, workDir: string, cache: PageCache, tools: Awaited<ReturnType<typeof prepareTools>>, report: BenchReport) {
  const spec = options.quick ? CORPUS_SPECS.quick : CORPUS_SPECS.full;
  log(`corpus ${spec.name}: ${spec.fileCount} files, ~${spec.totalBytes / 1e6} MB (seed ${spec.seed})…`);
  const corpus = await ensureCorpus(spec, CACHE_DIR);
  const expected = await hashTree(corpus.root);
  if (digestOf(expected) !== corpus.digest) throw new Error(`the cached corpus at ${corpus.root} does not match its manifest: delete bench/.cache and rerun`);
  report.data.push(
    `generated corpus "${spec.name}" (seed ${spec.seed}, ${corpus.generated ? 'generated now' : 'from cache'}): ${corpus.fileCount.toLocaleString('en-US')} files, ` +
      `${(corpus.totalBytes / 1e6).toFixed(1)} MB; text, incompressible binaries, ${spec.largeFileCount} large files, ` +
      `${spec.duplicateFraction * 100}% exact duplicates, ${spec.nearDuplicateFraction * 100}% edited copies; digest ${corpus.digest.slice(0, 16)}`,
  );
  report.rows.push(...(await machineRows(corpus, workDir, cache, options)));
  log('corpus scenario: ingest, rescan, size, restore…');
  report.rows.push(...(await runCorpusScenario({ corpus, expected, ingestTools: tools.ingestTools, copyTools: tools.copyTools, synclogRestoreTools: tools.synclogRestoreTools, runs: options.runs, workDir, cache, cli: tools.cli, log })));
}

async function runHistoryPart(options: Options, workDir: string, tools: Awaited<ReturnType<typeof prepareTools>>, report: BenchReport) {
  const count = options.quick ? HISTORY_VERSIONS_QUICK : HISTORY_VERSIONS_FULL;
  log(`history: ${count} versions of ${HISTORY_PACKAGE}…`);
  const versions = await ensureHistory(CACHE_DIR, count, log);
  const runs = options.quick ? 1 : options.runs;
  report.data.push(`real history: ${versions.length} published versions of the npm package ${HISTORY_PACKAGE} (${versions[0]?.version} … ${versions[versions.length - 1]?.version}, fetched with npm pack), laid one after another onto one tree; ${runs} run(s)`);
  report.rows.push(...(await runHistoryScenario({ versions, tools: tools.ingestTools, runs, workDir, cli: tools.cli, log })));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const workDir = join(BENCH_DIR, '.work', `run-${process.pid}`);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const cache = await PageCache.detect();
  const machine = await describeMachine(workDir, REPO_ROOT);
  const tools = await prepareTools(options, workDir);
  const report: BenchReport = {
    startedAt, durationSeconds: 0, mode: options.quick ? 'quick' : 'full', runs: options.runs, machine, loadAverageAfter: [], cache: cache.label, data: [],
    tools: [...tools.ingestTools, ...tools.synclogRestoreTools, ...tools.copyTools].map((tool) => ({ name: tool.name, version: tool.version, settings: tool.settings, unavailable: tool.unavailable })),
    rows: [],
    remarks: [],
  };
  // One part failing (no network for npm pack, a full disk) is reported, and the other parts still run.
  const part = async (name: string, body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      report.remarks.push(`the ${name} part failed and its rows are missing: ${describeFailure(error)}`);
      log(`${name}: ${describeFailure(error)}`);
    }
  };
  try {
    if (options.corpus) await part('corpus', () => runCorpusPart(options, workDir, cache, tools, report));
    if (options.history) await part('history', () => runHistoryPart(options, workDir, tools, report));
    if (options.modules) {
      const timeoutMs = options.quick ? MODULE_TIMEOUT_MS_QUICK : MODULE_TIMEOUT_MS_FULL;
      report.rows.push(...(await runBenchModules({ quick: options.quick, runs: options.runs, repoRoot: REPO_ROOT, benchDir: BENCH_DIR, workDir, timeoutMs, log })));
    }
  } finally {
    if (!options.keepWork) await rm(workDir, { recursive: true, force: true });
  }
  flagTooGood(report.rows, report.remarks);
  for (const verb of ['stats', 'receive'] as const) {
    const missing = tools.cli.missing(verb);
    if (missing) report.remarks.push(`synclog ${verb}: ${missing}, so the checks that use it were not made`);
  }
  if (machine.loadAverage[0]! > machine.cores * 0.5) report.remarks.push(`the machine was busy when the run started (load ${machine.loadAverage[0]} on ${machine.cores} cores): numbers are noisier than on an idle machine`);
  report.durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  report.loadAverageAfter = loadavg().map((value) => Math.round(value * 100) / 100);
  process.stdout.write(renderReport(report) + '\n');
  if (options.save) log(`wrote ${await writeReport(RESULTS_DIR, report)}`);
}

main().then(
  () => process.exit(0), // a bench module may leave handles open; the run is over
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
