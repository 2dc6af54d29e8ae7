// `synclog restore <path> --version ID [--to DEST]`: write one file version back, atomically, with its mode and
// mtime. Default DEST is the original path inside its watched folder. It never destroys data the log lacks: an
// existing DEST whose content is not a recorded version of that path is refused unless --force.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';

interface RestoreCliOptions {
  version: string;
  to?: string;
  log?: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('restore')
    .description('write a recorded version of a file back to disk (atomically, with its mode and mtime)')
    .argument('<path>', 'root/path (e.g. data/config.json), or a path inside a watched folder')
    .requiredOption('--version <id>', 'version id (or a unique prefix of at least 6 characters; see `synclog history`)')
    .option('--to <dest>', 'where to write it (default: the original path inside its watched folder)')
    .option('--force', 'overwrite DEST even if its current content is not recorded in the log')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print a JSON result object')
    .action(async (path: string, options: RestoreCliOptions) => context.run(Boolean(options.json), () => runRestore(path, options)));
}

async function runRestore(input: string, options: RestoreCliOptions): Promise<void> {
  const { openStore } = await import('../../store/index.js');
  const { knownRootsOf, resolveUserPath, restoreFileVersion, hashFile } = await import('../../watcher/index.js');
  const store = await openStore(options.log ?? defaultLogDir(), { readOnly: true, workers: 0 });
  try {
    const rootPaths = await knownRootsOf(store.entries({ kinds: ['watch'] }));
    const catalog = await store.catalog();
    const { root, path } = resolveUserPath(catalog, input, rootPaths);
    const rootPath = [...rootPaths].reverse().find(([, name]) => name === root)?.[0];
    if (options.to === undefined && rootPath === undefined) {
      throw new UsageError(`the log does not say where root ${root} lives: give --to DEST`, { root });
    }
    const dest = options.to ?? join(rootPath!, ...path.split('/'));
    if (!options.force && existsSync(dest)) {
      const info = await lstat(dest);
      const recorded = new Set(catalog.history(root, path).map((s) => (s.record.kind === 'version' && s.record.contentId ? Buffer.from(s.record.contentId).toString('hex') : '')));
      if (!info.isFile() || !recorded.has(await hashFile(dest))) {
        throw new UsageError(`${dest} exists and its content is not recorded in the log; restoring would lose it`, {
          dest,
          fix: 'restore elsewhere with --to, or re-run with --force to overwrite',
        });
      }
    }
    const result = await restoreFileVersion(store, `${root}/${path}`, options.version, dest, rootPaths);
    if (options.json) printJson({ ok: true, path: `${root}/${path}`, versionId: result.version.versionId, dest: result.dest, size: result.size });
    else printLine(`restored ${root}/${path} version ${result.version.versionId} → ${result.dest} (${result.size} bytes)`);
  } finally {
    await store.close();
  }
}
