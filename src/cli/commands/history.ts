// `synclog history <path>`: every version of one path, oldest first (newest last), read-only (works beside a running
// watcher). The path is `root/rel`, a path relative to the only root, or a file-system path inside a watched root.
// A version a forget record named is listed, marked `[forgotten]` (--json: `forgotten: true`), not hidden: until a
// prune removes it, it is still there to restore, and history lists exactly what can be restored.
import type { Command } from 'commander';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { displayName } from '../../util/display-name.js';
import { printJson, printLine, reportSkipped, SKIP_DAMAGED_OPTION } from '../output.js';
import { formatSize } from '../../util/format-size.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('history')
    .description('list every version of a path, oldest first')
    .argument('<path>', 'root/path (e.g. data/config.json), or a path inside a watched folder')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print a JSON array of versions (newest last; forgotten: true for one a forget named, until a prune removes it); with --skip-damaged an object { versions, skipped }')
    .option(...SKIP_DAMAGED_OPTION)
    .action(async (path: string, options: { log?: string; json?: boolean; skipDamaged?: boolean }) =>
      context.run(Boolean(options.json), async () => {
        const { openStore } = await import('../../store/index.js');
        const { fileHistory, knownRootsOf } = await import('../../watcher/index.js');
        const store = await openStore(options.log ?? defaultLogDir(), { readOnly: true, workers: 0, skipDamaged: options.skipDamaged === true });
        try {
          const roots = await knownRootsOf(store.entries({ kinds: ['watch'] }));
          const history = await fileHistory(store, path, roots);
          const skipped = store.skipped();
          if (options.json) printJson(options.skipDamaged ? { versions: history, skipped } : history);
          else for (const v of history) printLine(formatHistoryLine(v));
          return reportSkipped(skipped, [], Boolean(options.json));
        } finally {
          await store.close();
        }
      }),
    );
}

/** Width of the owner column: most user names fit; a longer one pushes only the path, which comes last. */
const OWNER_WIDTH = 8;

/**
 * One version as a line: id, time, event, size (none for a deletion), content id, owner, then (for `log`) the path,
 * and a rename's other side last, so that every column lines up whatever a line says about renames. Names are
 * escaped (displayName).
 */
export function formatHistoryLine(
  v: {
    versionId: string;
    timestamp: number;
    event: string;
    type: string;
    size: number;
    contentId?: string | undefined;
    owner?: { name?: string | undefined; uid: number } | undefined;
    renamedFrom?: string;
    renamedTo?: string;
    path: string;
    forgotten?: boolean;
  },
  withPath = false,
): string {
  const what = v.event === 'deleted' ? '' : v.type === 'file' ? formatSize(v.size) : v.type;
  const id = v.contentId ? v.contentId.slice(0, 12) : '';
  const owner = v.owner ? (v.owner.name !== undefined ? displayName(v.owner.name) : String(v.owner.uid)) : '';
  const move = v.renamedFrom ? ` (from ${displayName(v.renamedFrom)})` : v.renamedTo ? ` (to ${displayName(v.renamedTo)})` : '';
  const path = withPath ? `  ${displayName(v.path)}` : '';
  const mark = v.forgotten ? '  [forgotten]' : '';
  const line = `${v.versionId}  ${new Date(v.timestamp).toISOString()}  ${v.event.padEnd(8)}  ${what.padStart(10)}  ${id.padEnd(12)}  ${owner.padEnd(OWNER_WIDTH)}${path}${move}${mark}`;
  return line.trimEnd();
}
