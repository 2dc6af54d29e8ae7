// `synclog prune --log DIR [--max-unused 5%] [--dry-run] [--json]`: removes the versions forget records named and
// the chunks no remaining version references, by rewriting the sealed segments that hold them; a crash at any
// moment leaves the old segments or the new ones (docs/format.md "Prune commit"), and every kept record keeps its
// seq (receivers and replicas go on from their cursors). Segments are left alone while the unused bytes left are at
// most --max-unused of the log (restic's rule). Progress bar on a terminal; reports bytes freed. --json prints
// { dryRun, segmentsRewritten, bytesBefore, bytesAfter, bytesFreed, unusedBytesBefore, unusedBytesAfter,
// versionsRemoved, chunksRemoved }. Exit 0; 2 bad option; 3 another writer (a watcher, a server) holds the log.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { formatSize } from '../../util/format-size.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';
import { startProgress } from '../progress.js';

interface PruneCliOptions {
  log?: string;
  maxUnused: string;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('prune')
    .description('remove forgotten versions and unreferenced chunks by rewriting the segments that hold them (crash-safe); reports bytes freed')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--max-unused <percent>', 'leave segments alone while unused space is at most this share of the log', '5%')
    .option('--dry-run', 'say what would be removed and freed; write nothing')
    .option('--json', 'print one JSON object: { dryRun, segmentsRewritten, bytesBefore, bytesAfter, bytesFreed, versionsRemoved, chunksRemoved, … }')
    .action(async (options: PruneCliOptions) => context.run(Boolean(options.json), () => runPrune(options)));
}

export function parsePercent(text: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(text);
  const value = match ? Number(match[1]) : NaN;
  if (!(value >= 0 && value <= 100)) throw new UsageError(`--max-unused must be a percentage 0..100, e.g. 5%, not ${JSON.stringify(text)}`);
  return value / 100;
}

async function runPrune(options: PruneCliOptions): Promise<number> {
  const { pruneLog } = await import('../../retention/index.js');
  const { Log } = await import('../../log/index.js');
  const maxUnusedFraction = parsePercent(options.maxUnused);
  const dir = options.log ?? defaultLogDir();
  const dryRun = options.dryRun === true;
  const json = Boolean(options.json);
  const log = await Log.open(dir, dryRun ? { readOnly: true } : { create: false });
  const progress = startProgress({ label: 'pruning', unit: 'bytes', json });
  try {
    const report = await pruneLog(log, { maxUnusedFraction, dryRun, onProgress: progress.report });
    progress.stop();
    if (json) {
      printJson(report);
      return 0;
    }
    const would = dryRun ? 'would ' : '';
    printLine(`${would}remove ${report.versionsRemoved} version(s) and ${report.chunksRemoved} chunk(s) from ${report.segmentsRewritten} segment(s)`);
    printLine(`${dryRun ? 'would free' : 'freed'} ${formatSize(report.bytesFreed)}: ${formatSize(report.bytesBefore)} → ${formatSize(report.bytesAfter)}; unused left ${formatSize(report.unusedBytesAfter)}`);
    return 0;
  } finally {
    progress.stop();
    await log.close();
  }
}
