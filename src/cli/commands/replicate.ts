// `synclog replicate --from URL --log LOCAL [--once] [--token-file F] [--ca FILE] [--json]`: keeps a replica of a
// served log (the same records, same order, each checked before it is made durable), following it until
// SIGINT/SIGTERM; --once catches up and exits. Says how far behind the source the replica is. With
// `--from nats://… --stream S` the source is a JetStream stream; with `--to nats://… --stream S` it runs the other
// way: it publishes the local log to the stream (docs/jetstream.md). Wiring only: the work is src/net's replicate()
// and src/jetstream's publishLog() and replicateFromStream().
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { PublishState } from '../../jetstream/index.js';
import type { ReplicaState } from '../../net/index.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';
import { CA_HELP, CREDS_HELP, natsClientOptions, remoteClientOptions, STREAM_HELP, TOKEN_FILE_HELP } from '../remote-options.js';

interface ReplicateCliOptions {
  from?: string;
  to?: string;
  log: string;
  stream?: string;
  replicas?: string;
  once?: boolean;
  tokenFile?: string;
  ca?: string;
  creds?: string;
  json?: boolean;
}

const EXIT_CODES_HELP =
  '\nExit codes: 0 ok (following: stopped by SIGINT/SIGTERM); 1 a problem (a record that fails its check, a stream\n' +
  'that no longer holds what the replica needs, an I/O error); 2 usage (another log\'s replica or stream, bad\n' +
  'arguments); 3 another writer holds the replica.';

export function register(program: Command, context: CommandContext): void {
  program
    .command('replicate')
    .description('keep a replica of a log served by `synclog serve` or published to NATS JetStream (the same records in the same order, each verified), or with --to publish a log to JetStream; follows until SIGINT/SIGTERM')
    .option('--from <url>', 'the source: a served log (http://HOST:PORT/ or https://…) or a JetStream stream (nats://HOST:PORT with --stream)')
    .option('--to <url>', 'publish --log to NATS JetStream instead (nats://HOST:PORT[,nats://…] with --stream)')
    .requiredOption('--log <dir>', 'with --from: the replica (created if missing; only replicate may write to it); with --to: the log to publish (read-only)')
    .option('--stream <name>', STREAM_HELP)
    .option('--replicas <n>', 'with --to: replicas of the stream when this run creates it (3 on a 3-node cluster)')
    .option('--once', 'catch up with the source, then exit')
    .option('--token-file <file>', TOKEN_FILE_HELP)
    .option('--ca <file>', `with https://: ${CA_HELP}`)
    .option('--creds <file>', CREDS_HELP)
    .option('--json', 'one JSON object per catch-up (and a last one when stopped)')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: ReplicateCliOptions) => context.run(Boolean(options.json), () => runReplicate(options)));
}

function describe(verb: string, state: ReplicaState): string {
  const behind = Math.max(0, state.sourceSeq - state.nextSeq);
  return `${verb}: ${state.appended} records appended; replica at seq ${state.nextSeq}, source at ${state.sourceSeq} (${behind === 0 ? 'up to date' : `${behind} behind`})`;
}

function describePublished(verb: string, state: PublishState): string {
  const duplicates = state.duplicates > 0 ? ` (${state.duplicates} already there)` : '';
  return `${verb}: ${state.published} records published${duplicates}; stream at seq ${state.streamSeq}`;
}

/** Runs `body` with an AbortSignal that SIGINT/SIGTERM trigger. */
async function untilSignal<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(abort.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function parseReplicas(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^[1-5]$/.test(text)) throw new UsageError(`--replicas ${JSON.stringify(text)} is not 1 to 5`, { fix: '1 on one server, 3 on a 3-node cluster' });
  return n;
}

async function runReplicate(options: ReplicateCliOptions): Promise<number> {
  if ((options.from === undefined) === (options.to === undefined)) throw new UsageError('give --from (keep a replica) or --to (publish to JetStream), one of them', {});
  const nats = (options.to ?? options.from!).startsWith('nats://');
  if (options.to !== undefined && !nats) throw new UsageError('--to takes a NATS server (nats://HOST:PORT)', { fix: 'to serve a log over HTTP, run synclog serve' });
  if (nats && options.stream === undefined) throw new UsageError('nats:// needs --stream NAME', { fix: 'name the JetStream stream' });
  if (!nats && (options.stream !== undefined || options.creds !== undefined)) throw new UsageError('--stream and --creds go with nats://', {});
  if (options.replicas !== undefined && options.to === undefined) throw new UsageError('--replicas goes with --to', {});
  if (options.to !== undefined) return runPublish(options, options.to, options.stream!);
  const json = Boolean(options.json);
  let announced = false;
  const onCaughtUp = (now: ReplicaState) => {
    if (options.once) return;
    if (json) printJson({ event: 'caught-up', ...now });
    else if (!announced) printLine(`${describe('caught up', now)}; following ${options.from}`);
    announced = true;
  };
  const state = await untilSignal(async (signal) => {
    const common = { logDir: options.log, follow: !options.once, signal, onCaughtUp };
    if (nats) {
      const { replicateFromStream } = await import('../../jetstream/index.js');
      return replicateFromStream({ ...(await natsClientOptions(options)), ...common, servers: options.from!, stream: options.stream! });
    }
    const { replicate } = await import('../../net/index.js');
    return replicate({ ...(await remoteClientOptions(options)), ...common, url: options.from! });
  });
  if (json) printJson({ event: options.once ? 'replicated' : 'stopped', ...state });
  else printLine(describe(options.once ? 'replicated' : 'stopped', state));
  return 0;
}

async function runPublish(options: ReplicateCliOptions, servers: string, stream: string): Promise<number> {
  const { publishLog } = await import('../../jetstream/index.js');
  const json = Boolean(options.json);
  const replicas = parseReplicas(options.replicas);
  const client = await natsClientOptions(options);
  let announced = false;
  const state = await untilSignal((signal) =>
    publishLog({
      ...client,
      logDir: options.log,
      servers,
      stream,
      replicas,
      follow: !options.once,
      signal,
      onCaughtUp: (now) => {
        if (options.once) return;
        if (json) printJson({ event: 'caught-up', ...now });
        else if (!announced) printLine(`${describePublished('caught up', now)}; following ${options.log}`);
        announced = true;
      },
    }),
  );
  if (json) printJson({ event: options.once ? 'published' : 'stopped', ...state });
  else printLine(describePublished(options.once ? 'published' : 'stopped', state));
  return 0;
}
