// `synclog stats [--log DIR] [--json]`: how big the log is and how well dedup and compression work. Read-only (no
// lock, never writes): works beside a running watcher. Wiring only: the numbers come from the store.
import type { Command } from 'commander';
import { formatSize } from '../../util/format-size.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine, reportSkipped, SKIP_DAMAGED_OPTION } from '../output.js';

interface StatsCliOptions {
  log?: string;
  json?: boolean;
  skipDamaged?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('stats')
    .description('show the size of the log: segments, records, versions, paths, chunks, logical/unique/stored bytes')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print one JSON object: { segments, records, versions, paths, chunks, logicalBytes, uniqueBytes, storedBytes, … }')
    .option(...SKIP_DAMAGED_OPTION)
    .action(async (options: StatsCliOptions) => context.run(Boolean(options.json), () => runStats(options)));
}

function ratio(numerator: number, denominator: number): string {
  return denominator === 0 ? '-' : `${(numerator / denominator).toFixed(2)}×`;
}

async function runStats(options: StatsCliOptions): Promise<number> {
  const { openStore } = await import('../../store/index.js');
  const dir = options.log ?? defaultLogDir();
  const store = await openStore(dir, { readOnly: true, workers: 0, skipDamaged: options.skipDamaged === true });
  try {
    const stats = await store.stats();
    const memory = store.indexMemory();
    const extra = {
      roots: (await store.catalog()).roots(),
      dedupRatio: stats.uniqueBytes === 0 ? null : stats.logicalBytes / stats.uniqueBytes,
      indexBytesPerChunk: memory.chunks === 0 ? null : Math.round(memory.bytesPerChunk * 10) / 10,
    };
    if (options.json) {
      printJson({ log: dir, ...stats, ...extra, ...(options.skipDamaged ? { skipped: store.skipped() } : {}) });
      return reportSkipped(store.skipped(), [], true);
    }
    const rows: [string, string][] = [
      ['log', dir],
      ['roots', extra.roots.join(', ') || '-'],
      ['segments', String(stats.segments)],
      ['records', String(stats.records)],
      ['versions', String(stats.versions)],
      ['paths', String(stats.paths)],
      ['chunks', String(stats.chunks)],
      ['logical bytes', `${formatSize(stats.logicalBytes)} (all file versions)`],
      ['unique bytes', `${formatSize(stats.uniqueBytes)} (after dedup, ${ratio(stats.logicalBytes, stats.uniqueBytes)})`],
      ['stored bytes', `${formatSize(stats.storedBytes)} (segment files on disk)`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    for (const [label, value] of rows) printLine(`${label.padEnd(width)}  ${value}`);
    return reportSkipped(store.skipped(), [], false);
  } finally {
    await store.close();
  }
}
