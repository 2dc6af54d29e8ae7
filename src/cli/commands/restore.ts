// `synclog restore <path> --version ID [--to DEST]`: write one version (file, symlink or folder) back, atomically,
// with its mode and mtime. Default DEST is the original path inside its watched folder. Wiring only: the rules (mode,
// path gate, overwrite, content check) are the receiver's restore service's, shared with the explorer and the API.
import type { Command } from 'commander';
import { LIMITS } from '../../util/limits.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { displayName } from '../../util/display-name.js';
import { printJson, printLine } from '../output.js';

interface RestoreCliOptions {
  version: string;
  to?: string;
  log?: string;
  force?: boolean;
  keepSpecialBits?: boolean;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('restore')
    .description('write a recorded version of a file, symlink or folder back to disk (atomically, with its mode and mtime)')
    .argument('<path>', 'root/path (e.g. data/config.json), or a path inside a watched folder')
    .requiredOption('--version <id>', `version id (or a unique prefix of at least ${LIMITS.versionIdPrefixCharsMin} characters; see \`synclog history\`)`)
    .option('--to <dest>', 'where to write it (default: the original path inside its watched folder)')
    .option('--force', 'overwrite DEST even if its current content is not recorded in the log')
    .option('--keep-special-bits', 'keep setuid, setgid and sticky bits as recorded (default: stripped)')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print a JSON result object')
    .action(async (path: string, options: RestoreCliOptions) => context.run(Boolean(options.json), () => runRestore(path, options)));
}

async function runRestore(input: string, options: RestoreCliOptions): Promise<void> {
  const { openStore } = await import('../../store/index.js');
  const { knownRootsOf, resolveUserPath } = await import('../../watcher/index.js');
  const { restoreVersionById } = await import('../../receiver/index.js');
  const store = await openStore(options.log ?? defaultLogDir(), { readOnly: true, workers: 0 });
  try {
    const rootPaths = await knownRootsOf(store.entries({ kinds: ['watch'] }));
    const { root, path } = resolveUserPath(await store.catalog(), input, rootPaths);
    const rootPath = [...rootPaths].reverse().find(([, name]) => name === root)?.[0];
    // --to is the user's own choice and taken as given; the original place is built from the log and gated.
    const result = await restoreVersionById(store, {
      root,
      path,
      versionId: options.version,
      dest: options.to,
      rootPath,
      force: Boolean(options.force),
      keepSpecialBits: Boolean(options.keepSpecialBits),
    });
    const versionId = result.version.record.versionId;
    if (options.json) printJson({ ok: true, path: `${root}/${path}`, versionId, type: result.type, dest: result.target, size: result.size, mode: result.mode });
    else printLine(`restored ${displayName(`${root}/${path}`)} version ${versionId} → ${displayName(result.target)} (${result.type === 'file' ? `${result.size} bytes` : result.type})`);
  } finally {
    await store.close();
  }
}
