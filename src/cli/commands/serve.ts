// `synclog serve --log DIR [--listen HOST:PORT] [--token-file F] [--tls-cert C --tls-key K] [--insecure-public]
// [--watch DIR...]`: serves a log read-only over HTTP(S) (docs/protocol.md) until SIGINT/SIGTERM; with --watch it also
// records those folders into the log first (one process: the watcher writes, the server reads what is durable).
// Wiring only: the work is LogServer's and AppendOnlyLogWatcher's.
// Prints "serving LOG on URL" once listening (tests and scripts read the URL from it). Never prints a token.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError, wrapIoError } from '../../errors.js';
import { displayName } from '../../util/display-name.js';
import { NET_LIMITS } from '../../util/limits.js';
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
  json?: boolean;
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
    .option('--json', 'print one JSON object when listening (and, with --watch, one per recorded change)')
    .action(async (options: ServeCliOptions) => context.run(Boolean(options.json), () => runServe(options)));
}

async function readSmallFile(path: string, what: string, bytesMax: number): Promise<Buffer> {
  const bytes = await readFile(path).catch((error: unknown) => {
    throw wrapIoError(error, `read ${what}`, path);
  });
  if (bytes.length > bytesMax) throw new UsageError(`${what} ${path} is larger than ${bytesMax} bytes`, {});
  return bytes;
}

async function runServe(options: ServeCliOptions): Promise<number> {
  const { LogServer, TokenSet, parseListenAddress, publicExposure } = await import('../../net/index.js');
  const listen = parseListenAddress(options.listen);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together', { fix: 'give both, or neither' });
  const tokenText = options.tokenFile ? (await readSmallFile(options.tokenFile, 'token file', NET_LIMITS.tokenFileBytesMax)).toString('utf8') : undefined;
  const tokens = TokenSet.parse(tokenText, process.env.SYNCLOG_TOKEN, options.tokenFile);
  const tls = options.tlsCert && options.tlsKey ? { cert: await readSmallFile(options.tlsCert, 'TLS certificate', 1 << 20), key: await readSmallFile(options.tlsKey, 'TLS key', 1 << 20) } : undefined;
  const exposure = publicExposure(listen.host, tokens.required, tls !== undefined);
  if (exposure.length > 0 && !options.insecurePublic) {
    throw new UsageError(`refusing to serve on ${listen.host}, reachable from other machines, with ${exposure.join(' and ')}`, {
      fix: 'add --token-file and --tls-cert/--tls-key, listen on 127.0.0.1, or pass --insecure-public if you mean it',
    });
  }
  for (const problem of exposure) printNotice(`warning: serving on ${listen.host} with ${problem}`);
  const onError = (error: unknown) => printNotice(`internal error answering a request: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const logDir = options.log ?? defaultLogDir();
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.once('SIGINT', () => stopRequested());
  process.once('SIGTERM', () => stopRequested());
  // The watcher first: it creates the log if there is none, and its start-up scan is recorded before anyone reads.
  const watcher = options.watch.length > 0 ? await startWatcher(options, logDir) : undefined;
  let server;
  try {
    server = await LogServer.start({ logDir, host: listen.host, port: listen.port, tokens, tls, onError });
  } catch (error) {
    await watcher?.stop();
    throw error;
  }
  if (options.json) printJson({ event: 'listening', log: server.logDir, url: server.url, tls: server.tls, auth: tokens.required });
  else printLine(`serving ${displayName(server.logDir)} on ${server.url}${tokens.required ? ' (token required)' : ''}${watcher ? ` while watching ${options.watch.map((d) => displayName(d)).join(', ')}` : ''}`);
  await stopped;
  await server.close();
  if (!watcher) return 0;
  await watcher.stop();
  const stats = watcher.getStats();
  if (options.json) printJson({ event: 'stopped', stats });
  else printNotice(`stopped: ${stats.versions} versions recorded`);
  return stats.notRecorded > 0 ? 1 : 0;
}

/** `--watch`: a watcher over the same log, its changes and errors printed as `synclog watch` prints them. */
async function startWatcher(options: ServeCliOptions, logDir: string) {
  const { AppendOnlyLogWatcher } = await import('../../watcher/index.js');
  const watcher = new AppendOnlyLogWatcher({ watchPaths: options.watch, logPath: logDir, exclude: options.exclude });
  printWatcherEvents(watcher, Boolean(options.json));
  await watcher.start();
  return watcher;
}
