// `synclog receive (--log DIR | --from URL [--token-file F] [--ca FILE]) --out DEST [--mode latest|all-versions]
// [--once] [--json] [--skip-damaged]`: applies the log (local, or served by `synclog serve`: docs/protocol.md) to a
// destination tree and follows it until SIGINT/SIGTERM (exit 0 once the cursor is saved); --once catches up and
// exits. With --skip-damaged, damaged regions and versions whose content is not intact are passed over and reported
// (live while following, and in the summary), and the exit code is 1 if anything was: the tree is knowingly
// incomplete. Wiring only: the work is LogReceiver's, reading a remote log through src/net (loaded lazily so
// `synclog --help` stays fast).
import type { Command } from 'commander';
import type { ReceiverSourceOpener, ReceiverSummary } from '../../receiver/index.js';
import { UsageError } from '../../errors.js';
import { CA_HELP, CREDS_HELP, natsClientOptions, remoteClientOptions, STREAM_HELP, TOKEN_FILE_HELP } from '../remote-options.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { displayName } from '../../util/display-name.js';
import { describeSkipped, describeUnreadable, EXIT, printJson, printLine, printNotice, reportSkipped, SKIP_DAMAGED_OPTION, skippedExitCode } from '../output.js';
import { startProgress, type Progress } from '../progress.js';

/** Records behind (log records, chunks included) from which a catch-up shows a progress bar. */
const FAR_BEHIND_RECORDS = 1000;

interface ReceiveCliOptions {
  log?: string;
  from?: string;
  tokenFile?: string;
  ca?: string;
  stream?: string;
  creds?: string;
  out: string;
  mode: string;
  once?: boolean;
  json?: boolean;
  skipDamaged?: boolean;
}

const EXIT_CODES_HELP =
  '\nExit codes: 0 ok (following: stopped by SIGINT/SIGTERM, cursor saved); 1 a problem: a damaged record (the cursor\n' +
  'stays before it; --skip-damaged reads past it), a hostile record or an I/O error; also 1 when --skip-damaged did\n' +
  'pass over damage (everything else applied, the cursor past it, what was skipped listed: the tree lacks it);\n' +
  '2 usage (a destination made in another mode or from another log); 3 another receiver holds the destination.';

export function register(program: Command, context: CommandContext): void {
  program
    .command('receive')
    .description('mirror the log into a folder (newest state, or every version side by side) and follow it until SIGINT/SIGTERM')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--from <url>', 'receive from a log served by `synclog serve` (http://HOST:PORT/ or https://…), or published to NATS JetStream (nats://HOST:PORT with --stream), instead of --log')
    .option('--token-file <file>', `with --from: ${TOKEN_FILE_HELP}`)
    .option('--ca <file>', `with --from https://: ${CA_HELP}`)
    .option('--stream <name>', STREAM_HELP)
    .option('--creds <file>', CREDS_HELP)
    .requiredOption('--out <dest>', 'destination folder (created if missing; its cursor lives in <dest>/.synclog-receiver)')
    .option('--mode <mode>', "'latest' (mirror the newest state) or 'all-versions' (keep every version under <dest>/.versions)", 'latest')
    .option('--once', 'catch up with the log, then exit')
    .option('--json', 'one JSON object per applied change while following; one summary object with --once')
    .option(...SKIP_DAMAGED_OPTION)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: ReceiveCliOptions) => context.run(Boolean(options.json), () => runReceive(options)));
}

async function runReceive(options: ReceiveCliOptions): Promise<number> {
  if (options.mode !== 'latest' && options.mode !== 'all-versions') {
    throw new UsageError(`unknown --mode ${JSON.stringify(options.mode)} (use latest or all-versions)`, { mode: options.mode });
  }
  const { LogReceiver } = await import('../../receiver/index.js');
  const json = Boolean(options.json);
  const showProgress = !json && process.stderr.isTTY && !process.env.SYNCLOG_NO_PROGRESS;
  const source = await remoteSourceFor(options);
  const logPath = options.from ?? options.log ?? defaultLogDir();
  const receiver = new LogReceiver({ logPath, source, outputPath: options.out, mode: options.mode as 'latest' | 'all-versions', measureEnd: showProgress, skipDamaged: options.skipDamaged === true });
  let caughtUp = false;
  // The bar appears only when the destination is far behind (a few records apply before anyone could read it).
  let progress: Progress | undefined;
  receiver.on('progress', (p) => {
    if (caughtUp || p.endSeq === undefined) return;
    if (!progress && p.endSeq - p.nextSeq >= FAR_BEHIND_RECORDS) progress = startProgress({ label: 'catching up', unit: 'items', total: p.endSeq, json });
    progress?.update(p.nextSeq, { detail: `${p.changes} changes` });
  });
  receiver.on('warning', (w) => (json && !options.once ? printJson({ event: 'warning', ...w }) : printNotice(`warning: ${w.message}`)));
  // --once prints only the summary: no listener, so the receiver builds no per-change event.
  if (!options.once) {
    receiver.on('applied', (change) => {
      if (json) printJson({ event: 'applied', ...change });
      else if (caughtUp) printLine(`${change.action.padEnd(7)} ${displayName(change.display)}${change.renamedFrom ? ` (from ${displayName(`${change.root}/${change.renamedFrom}`)})` : ''}`);
    });
  }
  if (options.once) {
    const summary = await receiver.catchUp().finally(() => progress?.stop());
    if (json) printJson({ ok: damageExitCode(summary) === EXIT.ok, log: receiver.options.logPath, out: receiver.options.outputPath, ...summary });
    else printLine(describeSummary('received', summary, receiver.options.outputPath));
    return reportSkipped(summary.skipped, summary.unreadable, json);
  }
  // Following, damage is reported as it is passed (the summaries count it); --once lists it once, at the end.
  receiver.on('skipped', (region) => (json ? printJson({ event: 'skipped', ...region }) : printNotice(describeSkipped(region))));
  receiver.on('unreadable', (item) => (json ? printJson({ event: 'unreadable', ...item }) : printNotice(describeUnreadable(item))));
  // Signals end the follow cleanly (exit 0, as output.ts's house rule says, once the cursor is saved); registered
  // before start so an early Ctrl-C still saves the cursor, and a Ctrl-C during the catch-up ends it there.
  let finish!: (error?: unknown) => void;
  const finished = new Promise<unknown>((resolve) => (finish = resolve));
  let stopping: Promise<ReceiverSummary | undefined> | undefined;
  const onSignal = () => {
    stopping ??= receiver.stop();
    finish();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  receiver.on('error', (error) => finish(error));
  const first = await receiver.start().finally(() => progress?.stop());
  const stoppedInCatchUp = stopping !== undefined;
  caughtUp = true;
  if (!stoppedInCatchUp) {
    if (json) printJson({ event: 'caught-up', ...first });
    else printLine(`${describeSummary('caught up', first, receiver.options.outputPath)}; following ${receiver.options.logPath}`);
  }
  const error = await finished;
  const last = await (stopping ?? receiver.stop());
  if (error) throw error;
  // What this run applied in all (the session's summary counts the catch-up and the follow) and the saved cursor.
  const total = last ?? first;
  if (json) printJson({ event: 'stopped', ...total });
  else printLine(`${describeSummary(stoppedInCatchUp ? 'stopped during catch-up' : 'stopped', total, receiver.options.outputPath)}; cursor saved`);
  return damageExitCode(total);
}

/** 1 when --skip-damaged passed over anything (the tree is knowingly incomplete), else 0. */
function damageExitCode(summary: ReceiverSummary): number {
  return skippedExitCode(summary.skipped, summary.unreadable);
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** With --from: the remote log as the receiver's source (docs/protocol.md), retrying with a notice while it is away. */
async function remoteSourceFor(options: ReceiveCliOptions): Promise<ReceiverSourceOpener | undefined> {
  if (options.from === undefined) {
    if (options.tokenFile || options.ca || options.stream || options.creds) throw new UsageError('--token-file, --ca, --stream and --creds go with --from', { fix: 'add --from URL, or drop them' });
    return undefined;
  }
  if (options.log !== undefined) throw new UsageError('give --log or --from, not both', { fix: '--log reads a log on this machine, --from one served by `synclog serve`' });
  // A served log's damage is read (or refused) by the server, which has no way to tell a client what it skipped.
  if (options.skipDamaged) {
    throw new UsageError('--skip-damaged reads past damage in a log on this machine; it does not go with --from', {
      fix: 'on the machine that holds the log, run `synclog verify --log DIR` to see the damage, then `synclog receive --log DIR --skip-damaged` there (or copy the log here and receive with --log)',
    });
  }
  if (options.from.startsWith('nats://')) {
    if (options.stream === undefined) throw new UsageError('--from nats://… needs --stream NAME', { fix: 'name the stream the log was published to' });
    const { openStreamSource } = await import('../../jetstream/index.js');
    const client = await natsClientOptions(options);
    const { from, stream } = options;
    return { open: (run) => openStreamSource(from, stream, client, run) };
  }
  if (options.stream !== undefined || options.creds !== undefined) throw new UsageError('--stream and --creds go with --from nats://…', {});
  const { openRemoteSource } = await import('../../net/index.js');
  const client = await remoteClientOptions(options);
  const url = options.from;
  return { open: (run) => openRemoteSource(url, client, run) };
}

function describeSummary(verb: string, s: ReceiverSummary, out: string): string {
  let skipped = s.skippedSymlinks > 0 ? `, ${s.skippedSymlinks} links pointing outside skipped` : '';
  if (s.superseded > 0) skipped += `, ${s.superseded} superseded records not applied`;
  if (s.skipped.length > 0 || s.unreadable.length > 0) skipped += `, ${count(s.skipped.length, 'damaged region')} skipped, ${count(s.unreadable.length, 'version')} unreadable (not written)`;
  return `${verb}: ${s.changes} changes (${s.files} files, ${s.dirs} dirs, ${s.symlinks} links, ${s.deletes} deletes; ${(s.bytes / 1e6).toFixed(1)} MB${skipped}) in ${Math.round(s.durationMs)} ms → ${out} (next record ${s.nextSeq})`;
}
