// `synclog serve --log DIR [--listen HOST:PORT] [--token-file F] [--tls-cert C --tls-key K] [--insecure-public]
// [--watch DIR...]`: serves a log read-only over HTTP(S) (docs/protocol.md) until SIGINT/SIGTERM; with --watch it also
// records those folders into the log first (one process: the watcher writes, the server reads what is durable).
// With --accept-push --retain POLICY it also runs forget + prune on its own writer every --retain-every (docs/format.md
// "Server-side retention"). Wiring only: the work is LogServer's, AppendOnlyLogWatcher's and ServerRetention's.
// Prints "serving LOG on URL" once listening (tests and scripts read the URL from it). Never prints a token. When it
// only reads (no --watch, no --accept-push) it lowers its own CPU priority unless --priority normal (ServePriority).
import type { Command } from 'commander';
import { constants, getPriority, setPriority } from 'node:os';
import { UsageError } from '../../errors.js';
import { CLI_EXPOSURE_WORDING } from '../remote-options.js';
import { displayName } from '../../util/display-name.js';
import { parseDurationMs } from '../../util/duration.js';
import { formatSize } from '../../util/format-size.js';
import { SERVICE_LIMITS } from '../../util/limits.js';
import type { LogServer } from '../../net/index.js';
import type { RetentionPolicy } from '../../retention/index.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine, printNotice } from '../output.js';
import { collect, printWatcherEvents } from './watch.js';

interface ServeCliOptions {
  log?: string;
  listen: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecurePublic?: boolean;
  watch: string[];
  exclude: string[];
  acceptPush?: boolean;
  appendOnly?: boolean;
  retain?: string;
  retainEvery?: string;
  out?: string;
  mode: string;
  priority?: string;
  json?: boolean;
}

/**
 * The process's CPU priority: `low` (nice 10) when it only reads a log another process writes, so that serving
 * followers never takes CPU from the writer on the same machine (Syncthing lowers its priority by default for the same
 * reason); `normal` when it writes the log itself (--watch, --accept-push), where slowing itself would slow capture.
 */
type ServePriority = 'low' | 'normal';

function servePriority(options: ServeCliOptions): ServePriority {
  if (options.priority === undefined) return options.watch.length > 0 || options.acceptPush ? 'normal' : 'low';
  if (options.priority !== 'low' && options.priority !== 'normal') throw new UsageError(`unknown --priority ${JSON.stringify(options.priority)} (use low or normal)`, { priority: options.priority });
  return options.priority;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('serve')
    .description('serve the log read-only over HTTP(S) to remote receivers (docs/protocol.md), until SIGINT/SIGTERM')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--listen <host:port>', 'address to listen on (port 0: any free port)', '127.0.0.1:8417')
    .option('--token-file <file>', 'bearer tokens, one "read:TOKEN" (or "push:TOKEN") per line; also $SYNCLOG_TOKEN')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--insecure-public', 'allow a non-loopback address without a token or without TLS (prints a warning)')
    .option('--watch <dir>', 'also watch this folder and record it into the log, as `synclog watch` does (repeatable)', collect, [])
    .option('--exclude <glob>', 'with --watch: gitignore-style pattern to skip (repeatable)', collect, [])
    .option('--accept-push', 'take pushes from `synclog push` / `watch --to` (push-scoped tokens): this server becomes the log\'s single writer')
    .option('--append-only', 'with --accept-push: clients may add versions but never forget or prune any (refused, 403); retention runs here, by this host\'s clock')
    .option('--retain <policy>', 'with --accept-push: run forget + prune here on a schedule, e.g. keep-daily=7,keep-within=30d (forget\'s rules without dashes); pushed versions count from when this server received them')
    .option('--retain-every <duration>', 'with --retain: time between passes (the first runs at start), e.g. 1h; default 1d')
    .option('--out <dest>', 'with --accept-push: also keep this folder up to date with the log, as `synclog receive` does')
    .option('--mode <mode>', "with --out: 'latest' or 'all-versions'", 'latest')
    .option('--priority <level>', "CPU priority: 'low' (nice 10; the default when only serving, so followers never slow a writer on this machine) or 'normal' (the default with --watch or --accept-push)")
    .option('--json', 'print one JSON object when listening (and, with --watch, one per recorded change; with --accept-push, one per push)')
    .action(async (options: ServeCliOptions) => context.run(Boolean(options.json), () => runServe(options)));
}

async function runServe(options: ServeCliOptions): Promise<number> {
  const { LogServer, readServerCredentials } = await import('../../net/index.js');
  const { listen, tokens, tls, warnings } = await readServerCredentials(options, CLI_EXPOSURE_WORDING);
  for (const warning of warnings) printNotice(`warning: ${warning}`);
  const onError = (error: unknown) => printNotice(`internal error answering a request: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const logDir = options.log ?? defaultLogDir();
  checkPushOptions(options);
  let priority = servePriority(options);
  const retain = await retainOptions(options);
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.once('SIGINT', () => stopRequested());
  process.once('SIGTERM', () => stopRequested());
  // Already as low or lower (started under nice): left as it is (raising it back needs privileges).
  if (priority === 'low' && getPriority() < constants.priority.PRIORITY_BELOW_NORMAL) {
    try {
      setPriority(constants.priority.PRIORITY_BELOW_NORMAL);
    } catch (error) {
      printNotice(`warning: could not lower the CPU priority (${error instanceof Error ? error.message : String(error)}); serving at normal priority`);
      priority = 'normal';
    }
  }
  // The watcher first: it creates the log if there is none, and its start-up scan is recorded before anyone reads.
  const watcher = options.watch.length > 0 ? await startWatcher(options, logDir) : undefined;
  let server;
  try {
    server = await LogServer.start({ logDir, host: listen.host, port: listen.port, tokens, tls, onError, acceptPush: options.acceptPush, appendOnly: options.appendOnly, onPush: options.json ? (event) => printJson({ event: 'pushed', ...event }) : undefined });
  } catch (error) {
    await watcher?.stop();
    throw error;
  }
  if (options.json) printJson({ event: 'listening', log: server.logDir, url: server.url, tls: server.tls, auth: tokens.required, priority, ...(options.appendOnly ? { appendOnly: true } : {}) });
  else printLine(`serving ${displayName(server.logDir)} on ${server.url}${tokens.required ? ' (token required)' : ''}${watcher ? ` while watching ${options.watch.map((d) => displayName(d)).join(', ')}` : ''}`);
  const receiver = options.out ? await startReceiver(server.logDir, options.out, options.mode, Boolean(options.json)) : undefined;
  const retention = retain ? await startRetention(server, retain, Boolean(options.json)) : undefined;
  await stopped;
  await retention?.stop();
  await receiver?.stop();
  await server.close();
  if (options.acceptPush) {
    if (options.json) printJson({ event: 'stopped', push: server.pushStats });
    else printNotice(`stopped: ${server.pushStats!.recordsAppended} pushed records appended, ${formatSize(server.pushStats!.chunkBytesReceived)} of chunks received`);
  }
  if (!watcher) return 0;
  await watcher.stop();
  const stats = watcher.getStats();
  if (options.json) printJson({ event: 'stopped', stats });
  else printNotice(`stopped: ${stats.versions} versions recorded`);
  return stats.notRecorded > 0 ? 1 : 0;
}

function checkPushOptions(options: ServeCliOptions): void {
  if (options.acceptPush && options.watch.length > 0) throw new UsageError('--accept-push and --watch do not go together: a log has one writer', { fix: 'watch on the client with synclog watch DIR --to URL' });
  if (options.appendOnly && !options.acceptPush) throw new UsageError('--append-only goes with --accept-push', { fix: 'a server that takes no pushes is append-only for its clients already' });
  if (options.out !== undefined && !options.acceptPush) throw new UsageError('--out goes with --accept-push', { fix: 'to mirror a served log elsewhere, run synclog receive --from URL --out DEST' });
  if (options.mode !== 'latest' && options.mode !== 'all-versions') throw new UsageError(`unknown --mode ${JSON.stringify(options.mode)} (use latest or all-versions)`, { mode: options.mode });
}

/** `--retain` and `--retain-every`, checked before anything starts. */
async function retainOptions(options: ServeCliOptions): Promise<{ policy: RetentionPolicy; policyText: string; everyMs: number } | undefined> {
  if (options.retain === undefined) {
    if (options.retainEvery !== undefined) throw new UsageError('--retain-every goes with --retain');
    return undefined;
  }
  if (!options.acceptPush) throw new UsageError('--retain goes with --accept-push', { fix: 'a server that takes no pushes is not its log\'s writer: run synclog forget and prune where the log is written' });
  const { parsePolicyText } = await import('../../retention/index.js');
  const everyMs = options.retainEvery === undefined ? SERVICE_LIMITS.retainEveryMsDefault : parseDurationMs(options.retainEvery);
  if (everyMs === undefined || everyMs < SERVICE_LIMITS.retainEveryMsMin) throw new UsageError(`--retain-every needs a duration of at least 1s, e.g. 1h or 1d, not ${JSON.stringify(options.retainEvery)}`);
  return { policy: parsePolicyText(options.retain), policyText: options.retain, everyMs };
}

/** `--retain`: passes on the server's own writer, each reported as a line (or a JSON `retained` event). */
async function startRetention(server: LogServer, retain: { policy: RetentionPolicy; policyText: string; everyMs: number }, json: boolean) {
  const { ServerRetention, describeRetainPass } = await import('../../service/index.js');
  const retention = new ServerRetention(server, {
    ...retain,
    onPass: (report, tookMs) => {
      if (!json) return printNotice(describeRetainPass(report, tookMs));
      const { forget, prune } = report;
      printJson({ event: 'retained', paths: forget.paths, kept: forget.kept, forgotten: forget.forgotten.length, forgetSeqs: forget.recordSeqs, prune: prune ?? null, tookMs });
    },
    onError: (error) => printNotice(`retention pass failed (the next one runs on schedule): ${error instanceof Error ? error.message : String(error)}`),
  });
  retention.start();
  return retention;
}

/** `--out`: the existing receiver following the log this server writes (what clients pushed, once durable). */
async function startReceiver(logDir: string, out: string, mode: string, json: boolean) {
  const { LogReceiver } = await import('../../receiver/index.js');
  const receiver = new LogReceiver({ logPath: logDir, outputPath: out, mode: mode as 'latest' | 'all-versions' });
  receiver.on('warning', (w) => printNotice(`warning: ${w.message}`));
  receiver.on('error', (error) => printNotice(`--out stopped: ${error.message}`));
  if (json) receiver.on('applied', (change) => printJson({ event: 'applied', ...change }));
  await receiver.start();
  return receiver;
}

/** `--watch`: a watcher over the same log, its changes and errors printed as `synclog watch` prints them. */
async function startWatcher(options: ServeCliOptions, logDir: string) {
  const { AppendOnlyLogWatcher } = await import('../../watcher/index.js');
  const watcher = new AppendOnlyLogWatcher({ watchPaths: options.watch, logPath: logDir, exclude: options.exclude });
  printWatcherEvents(watcher, Boolean(options.json));
  await watcher.start();
  return watcher;
}
