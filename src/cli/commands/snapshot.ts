// `synclog snapshot <dir...>`: one pass — record every change since the log's last state of these folders — and
// exit. For cron and scripts. Same code path as the watcher's initial scan, without live watching. With `--every D`
// it stays: a pass now and one every D ± `--jitter` (src/service's Schedule, as a config folder's `every`), until
// SIGTERM/SIGINT, which lets a running pass finish (its records durable) and exits.
import type { Command } from 'commander';
import { isSynclogError, UsageError } from '../../errors.js';
import { formatDurationMs, requireDurationMs } from '../../util/duration.js';
import { SERVICE_LIMITS } from '../../util/limits.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printErrorText, printJson, printLine } from '../output.js';
import { startProgress } from '../progress.js';
import { collect } from './watch.js';

interface SnapshotCliOptions {
  log?: string;
  exclude: string[];
  every?: string;
  jitter?: string;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('snapshot')
    .description('record every change in the folders since the log last saw them, then exit (for cron and scripts); with --every, again on a schedule until SIGTERM')
    .argument('<dir...>', 'directories to snapshot (each is a root, named by its basename)')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--exclude <glob>', 'gitignore-style pattern to skip (repeatable; also read from <dir>/.synclogignore)', collect, [])
    .option('--every <duration>', 'stay and snapshot again every DURATION (e.g. 1h), until SIGTERM/SIGINT; for folders not worth watching live')
    .option('--jitter <duration>', 'with --every: move each interval by up to this either way, at random, less than half of --every (default: a tenth of it)')
    .option('--json', 'print one JSON summary object (per pass)')
    .action(async (dirs: string[], options: SnapshotCliOptions) =>
      context.run(Boolean(options.json), () => (options.every === undefined && options.jitter === undefined ? runSnapshot(dirs, options) : runEvery(dirs, options))),
    );
}

/** `--every`: passes on a schedule until a signal; exit 1 when any pass had errors. */
async function runEvery(dirs: string[], options: SnapshotCliOptions): Promise<number> {
  if (options.every === undefined) throw new UsageError('--jitter goes with --every');
  const everyMs = requireDurationMs(options.every);
  if (everyMs < SERVICE_LIMITS.snapshotEveryMsMin) throw new UsageError(`--every must be at least ${formatDurationMs(SERVICE_LIMITS.snapshotEveryMsMin)}`);
  const jitterMs = options.jitter === undefined ? Math.round(everyMs / 10) : requireDurationMs(options.jitter);
  if (jitterMs * 2 >= everyMs) throw new UsageError('--jitter must be less than half of --every');
  const { Schedule } = await import('../../service/index.js');
  let failed = false;
  const schedule = new Schedule(everyMs, jitterMs, async () => {
    // A pass that cannot run (the log locked by a `watch`, a folder gone) is said and counted; the next one may.
    try {
      if ((await runSnapshot(dirs, options)) !== 0) failed = true;
    } catch (error) {
      failed = true;
      const fix = (error as { details?: { fix?: string } }).details?.fix;
      if (options.json) printJson({ ok: false, error: isSynclogError(error) ? error.toJSON() : { message: (error as Error).message } });
      else printErrorText((error as Error).message, fix);
    }
  });
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  schedule.start();
  await stop;
  await schedule.stop();
  return failed ? 1 : 0;
}

async function runSnapshot(dirs: string[], options: SnapshotCliOptions): Promise<number> {
  const { AppendOnlyLogWatcher } = await import('../../watcher/index.js');
  const json = Boolean(options.json);
  const watcher = new AppendOnlyLogWatcher({ watchPaths: dirs, logPath: options.log ?? defaultLogDir(), exclude: options.exclude });
  const progress = startProgress({ label: 'scanning', unit: 'items', json });
  watcher.on('scan-progress', (p) => progress.update(p.entriesSeen, { detail: `${p.root}: ${p.entriesChanged} changed` }));
  const errors: unknown[] = [];
  watcher.on('error', (error) => errors.push('toJSON' in error ? (error as { toJSON(): unknown }).toJSON() : { message: error.message }));
  try {
    await watcher.start({ live: false });
  } finally {
    progress.stop();
    await watcher.stop();
  }
  const stats = watcher.getStats();
  if (json) {
    printJson({ ok: errors.length === 0, log: watcher.options.logPath, ...stats, errorDetails: errors });
  } else {
    printLine(
      `snapshot: ${stats.versions} versions (${stats.created} created, ${stats.modified} modified, ${stats.renamed} renamed, ` +
        `${stats.deleted} deleted; ${stats.duplicatesSkipped} unchanged saves) in ${stats.runtimeMs} ms → ${watcher.options.logPath}`,
    );
    for (const error of errors) printLine(`error: ${(error as { message?: string }).message ?? String(error)}`);
  }
  return errors.length === 0 ? 0 : 1;
}
