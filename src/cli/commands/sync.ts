// `synclog sync DIR --log LOG --peer URL … [--listen HOST:PORT] [--token-file F] [--tls-cert C --tls-key K] [--ca F]
// [--exclude P …] [--json]`: keeps DIR in step with its peers both ways, every conflict kept (docs/sync.md), until
// SIGINT/SIGTERM. Wiring only: the work is SyncNode's.
// Prints "syncing DIR as NODE on URL" once listening (tests and scripts read the URL from it), a line per conflict
// and per refused path; --json: one object per event. Exit 0 on a clean stop, 1 when a peer was refused for good
// or an error was reported. Never prints a token.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { displayName } from '../../util/display-name.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine, printNotice } from '../output.js';
import { CA_HELP, CLI_EXPOSURE_WORDING, remoteClientOptions } from '../remote-options.js';
import { collect, parseMs } from './watch.js';

interface SyncCliOptions {
  log?: string;
  peer: string[];
  listen: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  ca?: string;
  insecurePublic?: boolean;
  exclude: string[];
  debounce?: number;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('sync')
    .description('keep a folder in sync with peers both ways, every conflict kept as a copy (docs/sync.md), until SIGINT/SIGTERM')
    .argument('<dir>', 'the folder to keep in sync')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--peer <url>', "another node's URL (repeatable; list every other node)", collect, [])
    .option('--listen <host:port>', 'where this node serves its log to its peers (fix the port so peers find it again)', '127.0.0.1:8417')
    .option('--token-file <file>', 'bearer tokens this node accepts ("read:TOKEN" lines); the first is sent to peers; also $SYNCLOG_TOKEN')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--ca <file>', CA_HELP)
    .option('--insecure-public', 'allow a non-loopback address without a token or without TLS (prints a warning)')
    .option('--exclude <glob>', 'gitignore-style pattern to leave out of the sync (repeatable)', collect, [])
    .option('--debounce <ms>', 'quiet time before a changed file is read (default 100)', parseMs)
    .option('--json', 'print one JSON object per event (listening, recorded, applied, conflict, refused, peer-away, stopped)')
    .action(async (dir: string, options: SyncCliOptions) => context.run(Boolean(options.json), () => runSync(dir, options)));
}

async function runSync(dir: string, options: SyncCliOptions): Promise<number> {
  const { readServerCredentials } = await import('../../net/index.js');
  const { SyncNode } = await import('../../sync/index.js');
  for (const peer of options.peer) {
    if (!/^https?:\/\//.test(peer)) throw new UsageError(`--peer ${JSON.stringify(peer)} is not an http:// or https:// URL`, { option: 'peer' });
  }
  const { listen, tokens, tls } = await readServerCredentials(options, CLI_EXPOSURE_WORDING);
  // The peers' outages are said once per peer below, not per retry.
  const client = await remoteClientOptions({ tokenFile: options.tokenFile, ca: options.ca });
  const transport = { token: client.token, ca: client.ca };
  const json = Boolean(options.json);
  let failed = false;
  const away = new Set<string>();
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.once('SIGINT', () => stopRequested());
  process.once('SIGTERM', () => stopRequested());
  const node = await SyncNode.start({
    dir,
    logDir: options.log ?? defaultLogDir(),
    peers: options.peer,
    host: listen.host,
    port: listen.port,
    tokens,
    tls,
    transport,
    exclude: options.exclude,
    debounceMs: options.debounce,
    onEvent: (event) => {
      if (event.kind === 'peer-failed' || event.kind === 'error') failed = true;
      if (json) return printJson({ event: event.kind, ...event, kind: undefined });
      switch (event.kind) {
        case 'conflict':
          return printLine(`conflict: ${displayName(event.path)}: kept ${displayName(event.copy)} (from node ${event.loserNode})`);
        case 'refused':
          return printNotice(`refused ${displayName(event.path)}: ${event.reason}`);
        case 'peer-away':
          if (!away.has(event.peer)) printNotice(`peer ${event.peer} away (${event.message}); retrying, changes wait in the log`);
          away.add(event.peer);
          return;
        case 'copied':
          if (away.delete(event.peer)) printNotice(`peer ${event.peer} back`);
          return;
        case 'peer-failed':
          return printNotice(`peer ${event.peer} refused: ${event.message}`);
        case 'error':
          return printNotice(`error: ${event.message}`);
        default:
          return;
      }
    },
  });
  if (json) printJson({ event: 'listening', node: node.nodeId, url: node.url, dir, peers: options.peer });
  else printLine(`syncing ${displayName(dir)} as ${node.nodeId} on ${node.url} with ${options.peer.length} peer${options.peer.length === 1 ? '' : 's'}`);
  await stopped;
  const status = node.status();
  await node.stop();
  if (json) printJson({ event: 'stopped', status });
  else printNotice(`stopped: ${status.paths} paths, ${status.conflicts.length} conflicts kept`);
  return failed ? 1 : 0;
}
