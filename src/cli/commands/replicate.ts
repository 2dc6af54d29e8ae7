// `synclog replicate --from URL --log LOCAL [--once] [--token-file F] [--ca FILE] [--json]`: keeps a replica of a
// served log (the same records, same order, each checked before it is made durable), following it until
// SIGINT/SIGTERM; --once catches up and exits. Says how far behind the source the replica is. Wiring only: the
// work is src/net's replicate().
import type { Command } from 'commander';
import type { ReplicaState } from '../../net/index.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';
import { CA_HELP, remoteClientOptions, TOKEN_FILE_HELP } from '../remote-options.js';

interface ReplicateCliOptions {
  from: string;
  log: string;
  once?: boolean;
  tokenFile?: string;
  ca?: string;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('replicate')
    .description('keep a replica of a log served by `synclog serve`: the same records in the same order, each verified; follows until SIGINT/SIGTERM')
    .requiredOption('--from <url>', 'the served log (http://HOST:PORT/ or https://…)')
    .requiredOption('--log <dir>', 'the replica (created if missing; only replicate may write to it)')
    .option('--once', 'catch up with the source, then exit')
    .option('--token-file <file>', TOKEN_FILE_HELP)
    .option('--ca <file>', CA_HELP)
    .option('--json', 'one JSON object per catch-up (and a last one when stopped)')
    .action(async (options: ReplicateCliOptions) => context.run(Boolean(options.json), () => runReplicate(options)));
}

function describe(verb: string, state: ReplicaState): string {
  const behind = Math.max(0, state.sourceSeq - state.nextSeq);
  return `${verb}: ${state.appended} records appended; replica at seq ${state.nextSeq}, source at ${state.sourceSeq} (${behind === 0 ? 'up to date' : `${behind} behind`})`;
}

async function runReplicate(options: ReplicateCliOptions): Promise<number> {
  const { replicate } = await import('../../net/index.js');
  const client = await remoteClientOptions(options);
  const json = Boolean(options.json);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let announced = false;
  try {
    const state = await replicate({
      ...client,
      url: options.from,
      logDir: options.log,
      follow: !options.once,
      signal: abort.signal,
      onCaughtUp: (now) => {
        if (options.once) return;
        if (json) printJson({ event: 'caught-up', ...now });
        else if (!announced) printLine(`${describe('caught up', now)}; following ${options.from}`);
        announced = true;
      },
    });
    if (json) printJson({ event: options.once ? 'replicated' : 'stopped', ...state });
    else printLine(describe(options.once ? 'replicated' : 'stopped', state));
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
