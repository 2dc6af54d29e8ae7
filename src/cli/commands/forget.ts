// `synclog forget --log DIR [--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N]
// [--keep-within 30d] [--path GLOB] [--dry-run] [--json]`: applies a retention policy per path and records the
// versions it drops in forget records (docs/format.md "Retention"); `synclog prune` then removes their bytes. The
// newest version of every live path and every delete record are always kept. --dry-run lists exactly what would
// go and writes nothing (read-only: works beside a running watcher). Time for --keep-within is this host's clock.
// --json prints { dryRun, paths, kept, forgotten: [{ versionId, root, path, time, receivedMs?, seq }], recordSeqs }.
// A pushed version (origin.receivedMs, docs/format.md "Receive time") is judged by when the server received it.
// Exit 0 (also when nothing goes), 2 for a bad or empty policy, 3 when another writer holds the log.
import type { Command } from 'commander';
import { displayName } from '../../util/display-name.js';
import { requireDurationMs } from '../../util/duration.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';
import { UsageError } from '../../errors.js';

interface ForgetCliOptions {
  log?: string;
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepWithin?: string;
  path: string[];
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('forget')
    .description('mark versions to drop by a retention policy, per path (the newest version of each live path and delete records are kept); prune removes them')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--keep-last <n>', 'keep the n newest versions of each path')
    .option('--keep-hourly <n>', 'keep the newest version in each of the n newest hours that have one (UTC)')
    .option('--keep-daily <n>', 'the same per day (UTC)')
    .option('--keep-weekly <n>', 'the same per ISO week (UTC)')
    .option('--keep-monthly <n>', 'the same per month (UTC)')
    .option('--keep-within <duration>', 'keep every version recorded within this long before now (this host\'s clock), e.g. 30d, 12h, 1d12h')
    .option('--path <glob>', 'apply the policy only to paths (root/path) matching this gitignore-style pattern (repeatable)', collect, [])
    .option('--dry-run', 'list what would be forgotten; write nothing')
    .option('--json', 'print one JSON object: { dryRun, paths, kept, forgotten: [{ versionId, root, path, time, seq }], recordSeqs }')
    .action(async (options: ForgetCliOptions) => context.run(Boolean(options.json), () => runForget(options)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${name} needs a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** The options as given, for the forget record's audit trail. */
function policyText(options: ForgetCliOptions): string {
  const parts: string[] = [];
  const add = (flag: string, value: string | undefined) => value !== undefined && parts.push(`${flag} ${value}`);
  add('--keep-last', options.keepLast);
  add('--keep-hourly', options.keepHourly);
  add('--keep-daily', options.keepDaily);
  add('--keep-weekly', options.keepWeekly);
  add('--keep-monthly', options.keepMonthly);
  add('--keep-within', options.keepWithin);
  for (const glob of options.path) parts.push(`--path ${JSON.stringify(glob)}`);
  return parts.join(' ');
}

async function runForget(options: ForgetCliOptions): Promise<number> {
  const { forgetVersions } = await import('../../retention/index.js');
  const { Log } = await import('../../log/index.js');
  const policy = {
    keepLast: count('--keep-last', options.keepLast),
    keepHourly: count('--keep-hourly', options.keepHourly),
    keepDaily: count('--keep-daily', options.keepDaily),
    keepWeekly: count('--keep-weekly', options.keepWeekly),
    keepMonthly: count('--keep-monthly', options.keepMonthly),
    keepWithinMs: options.keepWithin === undefined ? undefined : requireDurationMs(options.keepWithin),
  };
  const dir = options.log ?? defaultLogDir();
  const dryRun = options.dryRun === true;
  const log = await Log.open(dir, dryRun ? { readOnly: true } : { create: false });
  try {
    const report = await forgetVersions(log, { policy, paths: options.path, policyText: policyText(options), dryRun });
    if (options.json) {
      printJson(report);
      return 0;
    }
    for (const v of report.forgotten) {
      // A pushed version is judged by when the server received it: that is the time shown.
      const when = new Date(v.receivedMs ?? v.time).toISOString();
      printLine(`${dryRun ? 'would forget' : 'forget'} ${v.versionId}  ${when}${v.receivedMs !== undefined ? ' (received)' : ''}  ${displayName(`${v.root}/${v.path}`)}`);
    }
    const verb = dryRun ? 'would forget' : 'forgot';
    printLine(`${verb} ${report.forgotten.length} version(s), kept ${report.kept}, over ${report.paths} path(s)${!dryRun && report.forgotten.length > 0 ? '; run synclog prune to free their space' : ''}`);
    return 0;
  } finally {
    await log.close();
  }
}
