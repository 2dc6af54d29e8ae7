// `synclog push --log LOCAL --to URL [--once] [--as NAME] [--token-file F] [--ca FILE] [--json]`: ships an existing
// log's records to a server that takes pushes (`synclog serve --accept-push`, docs/protocol.md "Push") and follows
// it until SIGINT/SIGTERM; --once exits once the server holds the log's durable end. The local log is the outbox:
// the cursor (push-cursor.json in it) moves only after the server said the records are durable.
// Wiring only: the work is src/net push().
import type { Command } from 'commander';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';
import { AS_HELP, pushClientOptions } from '../push-options.js';
import { CA_HELP, TOKEN_FILE_HELP } from '../remote-options.js';
import { collect } from './watch.js';

interface PushCliOptions {
  log?: string;
  to: string;
  tokenFile?: string;
  ca?: string;
  as: string[];
  once?: boolean;
  json?: boolean;
}

const EXIT_CODES_HELP =
  '\nExit codes: 0 ok (--once: the server holds everything; following: stopped by SIGINT/SIGTERM); 1 a problem\n' +
  '(a refused chunk or record, an I/O error); 2 usage (a root another client owns: push it with --as NAME; a token\n' +
  'without the push scope is refused with 403, an unknown one with 401).';

export function register(program: Command, context: CommandContext): void {
  program
    .command('push')
    .description('ship a log to a server that takes pushes (synclog serve --accept-push), sending only what it lacks; follows until SIGINT/SIGTERM')
    .option('--log <dir>', LOG_OPTION_HELP)
    .requiredOption('--to <url>', 'the server (http://HOST:PORT/ or https://…)')
    .option('--token-file <file>', TOKEN_FILE_HELP.replace('"read:TOKEN"', '"push:TOKEN"'))
    .option('--ca <file>', CA_HELP)
    .option('--as <name>', AS_HELP, collect, [])
    .option('--once', 'exit once the server holds everything the log has')
    .option('--json', 'one JSON object per acknowledged batch, and a summary')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: PushCliOptions) => context.run(Boolean(options.json), () => runPush(options)));
}

async function runPush(options: PushCliOptions): Promise<number> {
  const { push } = await import('../../net/index.js');
  const logDir = options.log ?? defaultLogDir();
  const json = Boolean(options.json);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const client = await pushClientOptions(options, logDir);
  const state = await push({
    ...client,
    follow: !options.once,
    signal: controller.signal,
    onBatch: (s) => {
      if (json) printJson({ event: 'pushed', ...s });
    },
    onCaughtUp: (s) => {
      if (json) printJson({ event: 'caught-up', ...s });
      else if (!options.once) printLine(`up to date: ${s.recordsAppended} records pushed so far, server holds up to seq ${s.nextSeq}`);
    },
  });
  if (json) printJson({ event: 'stopped', ...state });
  else printLine(`pushed ${state.recordsAppended} records (${state.chunksUploaded} chunks uploaded, ${state.chunksHeld} already held) to ${options.to}; next seq ${state.nextSeq}`);
  return 0;
}
