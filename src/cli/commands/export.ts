// `synclog export (--version ID | --path P | --at TIME | --all) -o FILE [--log DIR] [--json]`: writes the chosen
// versions as a gzip tar (docs/archive.md): `tar xzf` gives the tree, the manifest lets `synclog import` rebuild
// the records exactly. Wiring only: the work is exportArchive in src/archive (loaded lazily). Reads the log only
// (no writer lock: works beside a running watcher); FILE appears complete or not at all.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { displayName } from '../../util/display-name.js';
import { printJson, printLine, printNotice, reportSkipped, SKIP_DAMAGED_OPTION } from '../output.js';
import { startProgress } from '../progress.js';

interface ExportCliOptions {
  version?: string;
  path?: string;
  at?: string;
  all?: boolean;
  output: string;
  level?: string;
  log?: string;
  json?: boolean;
  skipDamaged?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('export')
    .description('write versions from the log to a .tar.gz archive (tar xzf gives the files; synclog import restores the history)')
    .option('--version <id>', 'one version (id or a unique prefix of at least 6 characters)')
    .option('--path <root/path>', "a path's whole history (a directory: everything below it too)")
    .option('--at <time|id>', 'the whole tree as it was at a time (ISO date or ms since the epoch) or at a version id')
    .option('--all', 'every version and delete in the log')
    .requiredOption('-o, --output <file>', 'the archive to write (replaced atomically)')
    .option('--level <n>', 'gzip level 1-9 (default 6)')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print one JSON object: { ok, file, versions, deletes, contentBytes, archiveBytes, escapingSymlinks }')
    .option(...SKIP_DAMAGED_OPTION)
    .action(async (options: ExportCliOptions) => context.run(Boolean(options.json), () => runExport(options)));
}

async function runExport(options: ExportCliOptions): Promise<number> {
  const chosen = [options.version !== undefined, options.path !== undefined, options.at !== undefined, Boolean(options.all)].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('give exactly one of --version ID, --path P, --at TIME, --all');
  const level = options.level === undefined ? undefined : Number(options.level);
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 9)) throw new UsageError('--level must be an integer from 1 to 9', { level: options.level });
  const [{ exportArchive, parseAt }, { openStore }] = await Promise.all([import('../../archive/index.js'), import('../../store/index.js')]);
  const selection =
    options.version !== undefined ? ({ kind: 'version', versionId: options.version } as const)
    : options.path !== undefined ? ({ kind: 'path', path: options.path } as const)
    : options.at !== undefined ? parseAt(options.at)
    : ({ kind: 'all' } as const);
  const json = Boolean(options.json);
  const skipDamaged = options.skipDamaged === true;
  const store = await openStore(options.log ?? defaultLogDir(), { readOnly: true, workers: 0, skipDamaged });
  const progress = startProgress({ label: 'exporting', unit: 'bytes', json });
  try {
    const result = await exportArchive(store, selection, options.output, {
      ...(level !== undefined ? { gzipLevel: level } : {}),
      onProgress: progress.report,
      skipDamaged,
    });
    progress.stop();
    const skipped = store.skipped();
    const problem = reportSkipped(skipped, result.unreadable, json);
    if (json) {
      printJson({ ok: problem === 0, ...result, ...(skipDamaged ? { skipped } : {}) });
      return problem;
    }
    const mb = (n: number) => (n / 1e6).toFixed(1);
    printLine(`exported ${result.versions} version(s) and ${result.deletes} delete(s), ${mb(result.contentBytes)} MB of content, to ${displayName(result.file)} (${mb(result.archiveBytes)} MB)`);
    if (result.escapingSymlinks > 0) printNotice(`note: ${result.escapingSymlinks} symlink(s) point outside the archive; import them with --allow-symlink-escape`);
    return problem;
  } finally {
    progress.stop();
    await store.close();
  }
}
