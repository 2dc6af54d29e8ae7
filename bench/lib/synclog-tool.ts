// synclog as the harness sees it: the built CLI (node bin/synclog.js …) run as a black box, exactly as a user runs
// it, so the bench depends on commands and their --json output, never on internals.
// Invariant: a command that is not built (or whose --help fails) makes its rows say "not available (command
// missing)"; the harness never crashes on a missing verb.
import { access, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupTool } from './backup-tool.js';
import { directoryBytes } from './backup-tool.js';
import { runChecked, runProgram } from './child-process.js';
import type { StoreStats } from '../../src/store/index.js';

export type SynclogVerb = 'snapshot' | 'receive' | 'checkout' | 'stats' | 'export' | 'import';

export interface SynclogCli {
  /** Where bin/synclog.js and dist/ live (a frozen copy during a bench run). */
  readonly buildRoot: string;
  /** Undefined when the verb can run; otherwise why not. */
  missing(verb: SynclogVerb): string | undefined;
  /** Runs `synclog <args>`; throws RunFailedError on a non-zero exit. */
  run(args: readonly string[]): Promise<{ stdout: string; seconds: number }>;
  /** `synclog stats --log <log> --json`, or undefined when stats is missing. */
  stats(log: string): Promise<SynclogStats | undefined>;
  /** The last stats read for `log` (undefined when none was). */
  lastStats(log: string): SynclogStats | undefined;
}

/** One line for a table note: what synclog's own stats say about a log, beside the bytes found on disk. */
export function describeStats(stats: SynclogStats, dirBytes: number): string {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  return (
    `synclog stats: ${stats.versions} versions, logical ${mb(stats.logicalBytes)}, unique after dedup ${mb(stats.uniqueBytes)}, ` +
    `segments ${mb(stats.storedBytes)} of ${mb(dirBytes)} in the log directory`
  );
}

/** The store's stats as `synclog stats --json` prints them. */
export type SynclogStats = StoreStats;

const ENV = { SYNCLOG_NO_PROGRESS: '1', NO_COLOR: '1' };

/**
 * Copies the built CLI (bin/, dist/, package.json) into `runtimeDir` below the repository, so the whole run uses one
 * frozen build even if someone rebuilds dist/ meanwhile; imports still resolve through the repository's node_modules.
 */
export async function freezeBuild(repoRoot: string, runtimeDir: string): Promise<string> {
  await mkdir(runtimeDir, { recursive: true });
  await cp(join(repoRoot, 'dist'), join(runtimeDir, 'dist'), { recursive: true });
  await cp(join(repoRoot, 'bin'), join(runtimeDir, 'bin'), { recursive: true });
  await cp(join(repoRoot, 'package.json'), join(runtimeDir, 'package.json'));
  return runtimeDir;
}

/**
 * Probes which verbs the built CLI under `buildRoot` has (dist/cli/commands/<verb>.js present and `<verb> --help`
 * exits 0). `buildRoot` is the repository or a frozen copy of its build (freezeBuild).
 */
export async function openSynclogCli(buildRoot: string): Promise<SynclogCli> {
  const bin = join(buildRoot, 'bin', 'synclog.js');
  const verbs: SynclogVerb[] = ['snapshot', 'receive', 'checkout', 'stats', 'export', 'import'];
  const missing = new Map<SynclogVerb, string>();
  for (const verb of verbs) {
    const built = await access(join(buildRoot, 'dist', 'cli', 'commands', `${verb}.js`)).then(
      () => true,
      () => false,
    );
    const help = built ? await runProgram(process.execPath, [bin, verb, '--help'], { env: ENV }) : undefined;
    if (!built || help?.code !== 0) missing.set(verb, `not available (command missing: synclog ${verb})`);
  }
  const run = async (args: readonly string[]) => {
    const result = await runChecked(process.execPath, [bin, ...args], { env: ENV });
    return { stdout: result.stdout, seconds: result.seconds };
  };
  const seen = new Map<string, SynclogStats>();
  return {
    buildRoot,
    missing: (verb) => missing.get(verb),
    run,
    async stats(log) {
      if (missing.has('stats')) return undefined;
      const stats = parseLastJson((await run(['stats', '--log', log, '--json'])).stdout) as SynclogStats;
      seen.set(log, stats);
      return stats;
    },
    lastStats: (log) => seen.get(log),
  };
}

/** The last line of stdout that parses as JSON (commands print one JSON value per line with --json). */
export function parseLastJson(stdout: string): unknown {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      return JSON.parse(line);
    } catch {
      // not JSON: keep looking
    }
  }
  throw new Error(`no JSON in output: ${stdout.slice(0, 300)}`);
}

/** The parts of `synclog snapshot --json`'s summary the harness checks. */
export interface SnapshotSummary {
  ok?: boolean;
  errors?: number;
  filesRead?: number;
  bytesIngested?: number;
}

export interface SynclogBackupTool extends BackupTool {
  /** The summary the last snapshot into `repo` printed. */
  lastSnapshot(repo: string): SnapshotSummary | undefined;
}

/** synclog as a BackupTool: snapshot to ingest, receive --mode latest --once to restore. */
export function synclogTool(cli: SynclogCli): SynclogBackupTool {
  const snapshotMissing = cli.missing('snapshot');
  const receiveMissing = cli.missing('receive');
  const summaries = new Map<string, SnapshotSummary>();
  return {
    lastSnapshot: (repo) => summaries.get(repo),
    name: 'synclog',
    unavailable: snapshotMissing,
    version: 'the build in dist/ when the run started, frozen for the run (see Commit above)',
    settings: 'synclog snapshot <dir> --log L --json; restore: synclog receive --log L --out D --mode latest --once --json; defaults otherwise (fsync on)',
    async init() {
      // The log is created by the first snapshot.
    },
    async backup(repo, source) {
      const summary = parseLastJson((await cli.run(['snapshot', source, '--log', repo, '--json'])).stdout) as SnapshotSummary;
      // A snapshot that skipped files must not pass for a fast one.
      if (summary.ok === false || (summary.errors ?? 0) > 0) throw new Error(`synclog snapshot reported errors: ${JSON.stringify(summary).slice(0, 300)}`);
      summaries.set(repo, summary);
    },
    storedBytes: directoryBytes,
    restore: receiveMissing
      ? undefined
      : async (repo, _source, target) => {
          await cli.run(['receive', '--log', repo, '--out', target, '--mode', 'latest', '--once', '--json']);
        },
    ownStatePrefixes: ['.synclog'],
  };
}

/**
 * `synclog checkout --at now` as a second way to restore the latest tree from the log synclog's ingest made (a user
 * restoring once reaches for checkout; receive is the mirror that keeps following). Has no backup of its own.
 */
export function synclogCheckoutTool(cli: SynclogCli): BackupTool {
  return {
    name: 'synclog checkout',
    unavailable: cli.missing('checkout'),
    version: 'same build as synclog',
    settings: 'synclog checkout --log L --out D --at now --json (restore only, from the log synclog snapshot wrote)',
    async init() {},
    async backup() {},
    storedBytes: directoryBytes,
    async restore(repo, _source, target) {
      await cli.run(['checkout', '--log', repo, '--out', target, '--at', 'now', '--json']);
    },
    ownStatePrefixes: ['.synclog'],
  };
}
