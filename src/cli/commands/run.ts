// `synclog run --config FILE [--log-format text|json] [--check]`: everything the config file lists (docs/config.md)
// in one process until SIGTERM/SIGINT, then a clean stop (everything seen flushed and fsynced, cursors saved) and
// exit 0. Logs go to stderr, one line per event (journald-friendly: with $JOURNAL_STREAM set each text line carries
// its syslog priority prefix); `--log-format json` makes each line one JSON object. `--check` validates only.
// Wiring only: the work is src/service's ServiceRunner (loaded lazily so `synclog --help` stays fast).
import type { Command } from 'commander';
import { isSynclogError, UsageError } from '../../errors.js';
import type { ConfigProblem, ServiceConfig, ServiceLogEvent } from '../../service/index.js';
import { displayName } from '../../util/display-name.js';
import type { CommandContext } from '../main.js';
import { EXIT, jsonReplacer, printJson, printLine, printNotice } from '../output.js';
import { formatChangeLine } from './watch.js';

interface RunCliOptions {
  config: string;
  check?: boolean;
  logFormat: string;
  json?: boolean;
}

const EXIT_CODES_HELP =
  '\nExit codes: 0 stopped by SIGTERM/SIGINT with everything recorded (--check: the config is valid); 1 a part failed\n' +
  '(a receiver or push stopped for good, changes left unrecorded by a full disk); 2 a bad config (each problem is\n' +
  'printed as FILE:LINE: KEY: what is wrong); 3 the log is locked by another writer.';

export function register(program: Command, context: CommandContext): void {
  program
    .command('run')
    .description('run everything a config file lists (watch, snapshots, serve, push, receivers, hooks) in one process, until SIGTERM/SIGINT')
    .requiredOption('--config <file>', 'the config file (TOML, or JSON when FILE ends in .json; docs/config.md)')
    .option('--check', 'validate the config and what it names (folders, files, hook programs) and exit (0 valid, 2 with every problem listed)')
    .option('--log-format <format>', "'text' (one line per event) or 'json' (one JSON object per line), on stderr", 'text')
    .option('--json', 'with --check: one JSON object on stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: RunCliOptions) => context.run(Boolean(options.json), () => runService(options)));
}

/** syslog priorities journald reads from a `<N>` prefix (SyslogLevelPrefix=, on by default). */
const PRIORITY = { error: 3, warn: 4, info: 6 } as const;

function logLine(event: ServiceLogEvent, json: boolean): void {
  if (json) {
    const { change, data, ...rest } = event;
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...rest, ...(change ? { change } : {}), ...(data ?? {}) }, jsonReplacer) + '\n');
    return;
  }
  const text = event.event === 'version' && event.change ? formatChangeLine(event.change) : event.message;
  const prefix = process.env.JOURNAL_STREAM ? `<${PRIORITY[event.level]}>` : '';
  const level = event.level === 'info' ? '' : `${event.level}: `;
  printNotice(`${prefix}${event.component}: ${level}${text}`);
}

function problemsOf(error: unknown): ConfigProblem[] | undefined {
  return isSynclogError(error) ? (error.details as { problems?: ConfigProblem[] }).problems : undefined;
}

/**
 * The config, or undefined once every problem in it was printed (one FILE:LINE: KEY: line each on stderr, or one
 * JSON object on stdout with `json`): the caller exits 2. Other errors (an unreadable file) are thrown.
 */
export async function loadConfigOrReport(file: string, json: boolean, options: { files?: boolean } = {}): Promise<ServiceConfig | undefined> {
  const { formatConfigProblem, loadConfig } = await import('../../service/index.js');
  try {
    return await loadConfig(file, options);
  } catch (error) {
    const problems = problemsOf(error);
    if (!problems) throw error;
    if (json) printJson({ ok: false, config: file, problems });
    else for (const problem of problems) printNotice(formatConfigProblem(problem));
    return undefined;
  }
}

async function runService(options: RunCliOptions): Promise<number> {
  if (options.logFormat !== 'text' && options.logFormat !== 'json') throw new UsageError(`unknown --log-format ${JSON.stringify(options.logFormat)} (use text or json)`, {});
  // Without --check, --json would be silently ignored: the running service's log lines are --log-format json.
  if (options.json && !options.check) throw new UsageError('--json goes with --check; for JSON log lines use --log-format json', {});
  const service = await import('../../service/index.js');
  // --check also looks at what the config names on disk; run does not refuse on it (a folder on a disk mounted
  // later is a start failure, exit 1, which systemd restarts; exit 2 it would not).
  const config = await loadConfigOrReport(options.config, Boolean(options.json), { files: Boolean(options.check) });
  if (!config) return EXIT.usage;
  if (options.check) return check(config, options);
  const json = options.logFormat === 'json';
  const runner = new service.ServiceRunner(config);
  runner.on('log', (event) => logLine(event, json));
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.once('SIGINT', () => stopRequested());
  process.once('SIGTERM', () => stopRequested());
  try {
    await runner.start();
  } catch (error) {
    logLine({ level: 'error', component: 'run', event: 'start-failed', message: `cannot start: ${(error as Error).message}` }, json);
    throw error;
  }
  logLine({ level: 'info', component: 'run', event: 'ready', message: `ready: ${describe(config)}; status in ${displayName(runner.statusFile)}`, data: { config: config.file, statusFile: runner.statusFile } }, json);
  await stopped;
  logLine({ level: 'info', component: 'run', event: 'stopping', message: 'stopping: recording what is pending' }, json);
  const code = await runner.stop();
  const status = runner.statusNow();
  logLine({ level: code === 0 ? 'info' : 'error', component: 'run', event: 'stopped', message: `stopped${status.lastDurable ? `; last durable version ${status.lastDurable.versionId} (seq ${status.lastDurable.seq})` : ''}`, data: { exitCode: code, lastDurable: status.lastDurable, hooks: status.hooks } }, json);
  return code;
}

function describe(config: ServiceConfig): string {
  const live = config.folders.filter((f) => f.everyMs === undefined).length;
  const periodic = config.folders.length - live;
  const parts = [`${live} folder${live === 1 ? '' : 's'} watched live`];
  if (periodic > 0) parts.push(`${periodic} snapshotted periodically`);
  if (config.serve) parts.push(`serving on ${config.serve.listen}${config.serve.acceptPush ? ' (taking pushes)' : ''}`);
  if (config.push.length > 0) parts.push(`pushing to ${config.push.map((p) => p.to).join(', ')}`);
  if (config.receivers.length > 0) parts.push(`${config.receivers.length} receiver${config.receivers.length === 1 ? '' : 's'}`);
  if (config.hooks.length > 0) parts.push(`${config.hooks.length} hook${config.hooks.length === 1 ? '' : 's'}`);
  return `${parts.join(', ')} → ${displayName(config.log)}`;
}

/** --check: the config is valid; also says what would run and whether the inotify limit leaves room. */
async function check(config: ServiceConfig, options: RunCliOptions): Promise<number> {
  const { inotifyAdvice, watchesNeeded } = await import('../../service/index.js');
  const { needed, limit } = await watchesNeeded(config.folders.filter((f) => f.everyMs === undefined && !f.poll));
  const advice = inotifyAdvice(needed, limit);
  if (options.json) {
    printJson({ ok: true, config: config.file, log: config.log, folders: config.folders, serve: config.serve, push: config.push, receivers: config.receivers, hooks: config.hooks.map((h) => h.name), inotify: { needed, limit, advice } });
    return EXIT.ok;
  }
  printLine(`${displayName(config.file)}: ok: ${describe(config)}`);
  if (advice) printNotice(`warning: ${advice}`);
  return EXIT.ok;
}
