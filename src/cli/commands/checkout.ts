// `synclog checkout --log DIR --out DEST (--at TIME | --version ID) [--json]`: writes the whole tree as it was at
// that moment into an empty folder. Wiring only: the work is the receiver's checkout (loaded lazily).
import type { Command } from 'commander';
import { TIME_FORMS_HELP } from '../../util/time-spec.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine, printNotice, reportSkipped, SKIP_DAMAGED_OPTION } from '../output.js';
import { startProgress } from '../progress.js';

interface CheckoutCliOptions {
  log?: string;
  out: string;
  at?: string;
  version?: string;
  json?: boolean;
  skipDamaged?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('checkout')
    .description('write the whole tree as it was at a moment (or just after a version) into an empty folder')
    .option('--log <dir>', LOG_OPTION_HELP)
    .requiredOption('--out <dest>', 'empty (or new) folder to write the tree into, as <dest>/<root>/<path>')
    .option('--at <time>', `the moment: ${TIME_FORMS_HELP}`)
    .option('--version <id>', 'a version id (or a unique prefix of 6+ characters): the tree just after it was recorded')
    .option('--json', 'print one JSON summary object')
    .option(...SKIP_DAMAGED_OPTION)
    .action(async (options: CheckoutCliOptions) => context.run(Boolean(options.json), () => runCheckout(options)));
}

async function runCheckout(options: CheckoutCliOptions): Promise<number> {
  const { checkout } = await import('../../receiver/index.js');
  const json = Boolean(options.json);
  const progress = startProgress({ label: 'checking out', unit: 'items', json });
  const warnings: string[] = [];
  const summary = await checkout({
    logPath: options.log ?? defaultLogDir(),
    outputPath: options.out,
    at: options.at,
    versionId: options.version,
    onWarning: (w) => warnings.push(w.message),
    onProgress: progress.report,
    skipDamaged: options.skipDamaged === true,
  }).finally(() => progress.stop());
  const problem = reportSkipped(summary.skipped, summary.unreadable, json);
  if (json) {
    printJson({ ok: problem === 0, out: options.out, ...summary, warnings });
    return problem;
  }
  for (const warning of warnings) printNotice(`warning: ${warning}`);
  const moment = summary.at ?? `version ${summary.versionId}`;
  printLine(
    `checked out ${moment}: ${summary.files} files, ${summary.dirs} dirs, ${summary.symlinks} links (${(summary.bytes / 1e6).toFixed(1)} MB) → ${options.out}` +
      (summary.skippedSymlinks > 0 ? ` (${summary.skippedSymlinks} links pointing outside skipped)` : '') +
      (summary.unreadable.length > 0 ? `; ${summary.unreadable.length} damaged files not written` : ''),
  );
  return problem;
}
