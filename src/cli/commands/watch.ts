// `synclog watch <dir...>`: record every change in the given folders until SIGINT/SIGTERM, then flush and exit 0
// (1 if a full disk kept changes from being recorded by then: the summary says how many).
// Prints each change once it is durable (one JSON object per line with --json) and scan progress on a terminal.
// `--exec PROGRAM` runs a program per durable change (src/cli/exec-hooks.ts, the service's exec hooks).
// Wiring only: the work is AppendOnlyLogWatcher's (loaded lazily so `synclog --help` stays fast).
import type { Command } from 'commander';
import type { AppendOnlyLogWatcher } from '../../watcher/index.js';
import { UsageError } from '../../errors.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { displayName } from '../../util/display-name.js';
import { formatSize } from '../../util/format-size.js';
import { printErrorText, printJson, printLine, printNotice } from '../output.js';
import { startExecHooks } from '../exec-hooks.js';
import { startProgress } from '../progress.js';

export interface WatchCliOptions {
  log?: string;
  exclude: string[];
  initialScan: boolean;
  debounce?: number;
  poll?: boolean;
  to?: string;
  tokenFile?: string;
  ca?: string;
  as: string[];
  exec: string[];
  execEvents?: string;
  execPaths: string[];
  json?: boolean;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseMs(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`not a number of milliseconds: ${value}`, { value });
  return n;
}

/**
 * A recorded change as `watch` prints it: event, escaped path (and where a rename came from), then the size of a
 * file, the type of anything else, and nothing for a deletion (it has no size).
 */
export function formatChangeLine(change: { change: string; display: string; root: string; renamedFrom?: string | undefined; type: string; size: number }): string {
  const from = change.renamedFrom ? ` (from ${displayName(`${change.root}/${change.renamedFrom}`)})` : '';
  const what = change.change === 'deleted' ? '' : change.type === 'file' ? formatSize(change.size) : change.type;
  return `${change.change.padEnd(8)} ${displayName(change.display)}${from}${what ? `  ${what}` : ''}`;
}

/** A recorded change, an error, a resume after a full disk: as `watch` (and `serve --watch`) print them. */
export function printWatcherEvents(watcher: Pick<AppendOnlyLogWatcher, 'on' | 'options'>, json: boolean): void {
  watcher.on('version', (change) => {
    if (json) printJson({ event: 'version', ...change });
    else printLine(formatChangeLine(change));
  });
  let watchLimitAdvised = false;
  watcher.on('error', (error) => {
    const details = (error as { details?: { fix?: string; reason?: string } }).details;
    if (json) printJson({ event: 'error', error: 'toJSON' in error ? (error as { toJSON(): unknown }).toJSON() : { message: error.message } });
    else printErrorText(error.message, details?.fix);
    if (details?.reason === 'watch-limit' && !watchLimitAdvised) {
      watchLimitAdvised = true;
      void adviseWatchLimit(watcher.options.rootPaths, watcher.options.exclude, json);
    }
  });
  watcher.on('resumed', ({ stalledMs }) => {
    if (json) printJson({ event: 'resumed', stalledMs });
    else printNotice(`the log's disk has room again after ${(stalledMs / 1000).toFixed(1)} s: recording the changes that waited`);
  });
}

/** Out of inotify watches: how many the roots need (one per directory) and how to raise the limit, once. */
async function adviseWatchLimit(roots: readonly string[], exclude: readonly string[], json: boolean): Promise<void> {
  const { inotifyAdvice, watchesNeeded } = await import('../../service/index.js');
  const { needed, limit } = await watchesNeeded(roots.map((path) => ({ path, exclude })));
  const advice = inotifyAdvice(needed, limit, { hit: true, instead: 'or watch with --poll, or record the biggest folder with `synclog snapshot DIR --every 1h` instead' });
  if (!advice) return;
  if (json) printJson({ event: 'inotify-limit', needed, limit, advice });
  else printNotice(advice);
}

/** How often a watch without a terminal says how its initial scan goes. */
const SCAN_NOTE_INTERVAL_MS = 5_000;

export function register(program: Command, context: CommandContext): void {
  program
    .command('watch')
    .description('watch folders and record every change as a durable version, until SIGINT or SIGTERM')
    .argument('<dir...>', 'directories to watch (each is a root, named by its basename)')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--exclude <glob>', 'gitignore-style pattern to skip (repeatable; also read from <dir>/.synclogignore)', collect, [])
    .option('--no-initial-scan', 'do not record changes made while nothing was watching')
    .option('--debounce <ms>', 'quiet time before a changed file is read (default 100)', parseMs)
    .option('--poll', 'poll instead of inotify/FSEvents (network and container mounts)')
    .option('--to <url>', 'also push every change to this server (synclog serve --accept-push); the log is the outbox while it is away')
    .option('--token-file <file>', 'with --to: the bearer token (first line, "push:TOKEN" or TOKEN); also $SYNCLOG_TOKEN')
    .option('--ca <file>', 'with --to: PEM certificate to trust (a self-signed server)')
    .option('--as <name>', 'with --to: push a root under another name: NAME or ROOT=NAME (repeatable)', collect, [])
    .option('--exec <program>', 'run PROGRAM (no shell) once per recorded change, the event as JSON on stdin and SYNCLOG_* variables (repeatable; docs/config.md "Hooks")', collect, [])
    .option('--exec-events <kinds>', 'with --exec: only these kinds, comma-separated (created, modified, renamed, deleted, restored)')
    .option('--exec-paths <glob>', 'with --exec: only changes whose ROOT/PATH matches this gitignore-style pattern (repeatable)', collect, [])
    .option('--json', 'print one JSON object per line')
    .action(async (dirs: string[], options: WatchCliOptions) => context.run(Boolean(options.json), () => runWatch(dirs, options)));
}

async function runWatch(dirs: string[], options: WatchCliOptions): Promise<number> {
  const { AppendOnlyLogWatcher } = await import('../../watcher/index.js');
  const json = Boolean(options.json);
  const watcher = new AppendOnlyLogWatcher({
    watchPaths: dirs,
    logPath: options.log ?? defaultLogDir(),
    exclude: options.exclude,
    initialScan: options.initialScan,
    debounceMs: options.debounce,
    poll: options.poll,
  });
  const progress = startProgress({ label: 'scanning', unit: 'items', json });
  // Without a terminal there is no bar: say what the start-up is doing (opening a big log and rescanning can take
  // seconds), then a line every SCAN_NOTE_INTERVAL_MS while the scan runs, so a service log is never silent.
  const noted = !json && !progress.visible;
  let lastNoteMs = Date.now();
  if (noted) printNotice(`starting: opening ${displayName(watcher.options.logPath)} and scanning ${dirs.map((d) => displayName(d)).join(', ')} for changes since the last run`);
  watcher.on('scan-progress', (p) => {
    progress.update(p.entriesSeen, { detail: `${p.root}: ${p.entriesChanged} changed` });
    if (noted && Date.now() - lastNoteMs >= SCAN_NOTE_INTERVAL_MS) {
      lastNoteMs = Date.now();
      printNotice(`scanning ${displayName(p.root)}: ${p.entriesSeen} entries looked at, ${p.entriesChanged} changed`);
    }
  });
  printWatcherEvents(watcher, json);
  const hooks = await startExecHooks(options);
  if (hooks) watcher.on('version', (change) => hooks.offer(change));
  // Signals end the watch cleanly; registered before start so an early Ctrl-C still flushes.
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.once('SIGINT', () => stopRequested());
  process.once('SIGTERM', () => stopRequested());
  await watcher.start();
  progress.stop();
  const pusher = options.to ? await startPusher(options as WatchCliOptions & { to: string }, watcher.options.logPath, json) : undefined;
  const roots = watcher.getStats().roots.map((r) => ({ name: r.name, path: r.path }));
  if (json) printJson({ event: 'ready', log: watcher.options.logPath, roots });
  else printLine(`ready: watching ${roots.map((r) => `${displayName(r.name)} (${displayName(r.path)})`).join(', ')} → ${displayName(watcher.options.logPath)}`);
  await stopped;
  await watcher.stop();
  const pushFailed = (await pusher?.finish()) === 'failed';
  const hooksDone = await hooks?.close(EXEC_GRACE_MS);
  if (hooksDone && hooksDone.failed + hooksDone.dropped > 0) printNotice(`--exec: ${hooksDone.failed} runs failed, ${hooksDone.dropped} events dropped (a full queue or the stop)`);
  const stats = watcher.getStats();
  if (json) printJson({ event: 'stopped', stats });
  else printNotice(`stopped: ${stats.versions} versions (${stats.created} created, ${stats.modified} modified, ${stats.renamed} renamed, ${stats.deleted} deleted)`);
  if (stats.notRecorded > 0) {
    // Exit 1: the log is knowingly behind the disk. Nothing is lost for good: the next start's scan records them.
    if (!json) printNotice(`${stats.notRecorded} change${stats.notRecorded === 1 ? ' was' : 's were'} not recorded (the log's disk was full); the next \`synclog watch\` or \`snapshot\` records them from the disk`);
    return 1;
  }
  // Exit 1: the server refused what was pushed (a root another client owns, a refused record); the log holds it all.
  if (pushFailed) return 1;
  return 0;
}

/** How long a stopping watch gives queued --exec runs before it drops the rest (as `synclog run` does). */
const EXEC_GRACE_MS = 5_000;

/** How long a stopping `watch --to` tries to ship what its last changes added before leaving them queued. */
const FINAL_PUSH_MS = 10_000;

/** `--to`: a pusher following the watcher's log; finish() ships what the stop flushed (or says what stays queued). */
async function startPusher(options: WatchCliOptions & { to: string }, logDir: string, json: boolean) {
  const { push } = await import('../../net/index.js');
  const { pushClientOptions } = await import('../push-options.js');
  const client = await pushClientOptions(options, logDir);
  const controller = new AbortController();
  let failure: unknown;
  const following = push({ ...client, follow: true, signal: controller.signal, onBatch: (s) => json && printJson({ event: 'pushed', ...s }) }).catch((error: unknown) => {
    failure = error;
    const fix = (error as { details?: { fix?: string } }).details?.fix;
    printErrorText(`pushing to ${options.to} stopped: ${(error as Error).message}`, fix);
  });
  return {
    /** 'failed': pushing stopped for good while watching (already said); 'queued': some stays for the next push. */
    async finish(): Promise<'done' | 'queued' | 'failed'> {
      controller.abort();
      await following;
      if (failure) return 'failed';
      try {
        await push({ ...client, onAway: undefined, giveUpAfterMs: FINAL_PUSH_MS });
        return 'done';
      } catch (error) {
        printNotice(`not everything reached ${options.to} (${(error as Error).message}): the rest stays queued in the log for the next push`);
        return 'queued';
      }
    },
  };
}
