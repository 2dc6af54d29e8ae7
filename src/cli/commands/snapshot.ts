// `synclog snapshot <dir...>`: one pass — record every change since the log's last state of these folders — and
// exit. For cron and scripts. Same code path as the watcher's initial scan, without live watching.
import type { Command } from 'commander';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';
import { startProgress } from '../progress.js';
import { collect } from './watch.js';

interface SnapshotCliOptions {
  log?: string;
  exclude: string[];
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('snapshot')
    .description('record every change in the folders since the log last saw them, then exit (for cron and scripts)')
    .argument('<dir...>', 'directories to snapshot (each is a root, named by its basename)')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--exclude <glob>', 'gitignore-style pattern to skip (repeatable; also read from <dir>/.synclogignore)', collect, [])
    .option('--json', 'print one JSON summary object')
    .action(async (dirs: string[], options: SnapshotCliOptions) => context.run(Boolean(options.json), () => runSnapshot(dirs, options)));
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
