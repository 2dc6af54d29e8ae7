// `synclog log`: the log's changes in log order (versions and deletions), optionally for one path (or everything
// below it) and since a time. Read-only: works beside a running watcher. A version a forget record named is listed
// and marked (`[forgotten]`, --json `forgotten: true`), as history does: it is still restorable until a prune.
import type { Command } from 'commander';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine, reportSkipped, SKIP_DAMAGED_OPTION } from '../output.js';
import { formatHistoryLine } from './history.js';

interface LogCliOptions {
  log?: string;
  json?: boolean;
  path?: string;
  since?: string;
  skipDamaged?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('log')
    .description('list recorded changes in log order')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--path <path>', 'only this root/path and what is below it')
    .option('--since <time>', 'only changes recorded since TIME (ISO 8601, or an age: 30m, 2h, 3d)')
    .option('--json', 'print a JSON array of changes (oldest first; forgotten: true for a version a forget named, until a prune removes it); with --skip-damaged an object { changes, skipped }')
    .option(...SKIP_DAMAGED_OPTION)
    .action(async (options: LogCliOptions) => context.run(Boolean(options.json), () => runLog(options)));
}

async function runLog(options: LogCliOptions): Promise<number> {
  const { openStore } = await import('../../store/index.js');
  const { historyEntryOf, parseSince } = await import('../../watcher/index.js');
  const sinceMs = options.since !== undefined ? parseSince(options.since) : undefined;
  const prefix = options.path?.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const store = await openStore(options.log ?? defaultLogDir(), { readOnly: true, workers: 0, skipDamaged: options.skipDamaged === true });
  try {
    // A forget record follows the versions it names: its ids are read first (a pass that decodes only them).
    const forgotten = new Set<string>();
    for await (const stored of store.entries({ kinds: ['forget'] })) if (stored.record.kind === 'forget') for (const id of stored.record.versionIds) forgotten.add(id);
    const rows = [];
    for await (const stored of store.entries({ kinds: ['version', 'delete'] })) {
      const r = stored.record;
      if (r.kind !== 'version' && r.kind !== 'delete') continue;
      if (sinceMs !== undefined && r.time < sinceMs) continue;
      const display = `${r.root}/${r.path}`;
      if (prefix !== undefined && display !== prefix && !display.startsWith(`${prefix}/`)) continue;
      const entry = { ...historyEntryOf({ ...stored, record: r }), ...(forgotten.has(r.versionId) ? { forgotten: true } : {}) };
      if (options.json) rows.push(entry);
      else printLine(formatHistoryLine(entry, true));
    }
    const skipped = store.skipped();
    if (options.json) printJson(options.skipDamaged ? { changes: rows, skipped } : rows);
    return reportSkipped(skipped, [], Boolean(options.json));
  } finally {
    await store.close();
  }
}
