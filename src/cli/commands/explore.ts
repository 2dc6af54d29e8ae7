// `synclog explore`: the terminal UI over a log (src/explorer): browse paths, versions, preview, diff, restore,
// export, import, live. Read-only on the log (beside a running watcher); needs an interactive terminal.
import type { Command } from 'commander';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { SKIP_DAMAGED_EXPLORE_OPTION } from '../output.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('explore')
    .description('browse the history in a terminal UI: versions, preview, diff, restore, export, import (live)')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--path <path>', 'open this path (root/rel/path) at start, or filter by it')
    .option(...SKIP_DAMAGED_EXPLORE_OPTION)
    .addHelpText(
      'after',
      '\nKeys: arrows or h/j/k/l, g/G, PgUp/PgDn; type or / to filter; Enter versions; p preview; space mark, d diff;\n' +
        'r restore (R to another path); e export; i import; ? help; Esc back; q quit. Honours NO_COLOR.\n' +
        'Not for scripts: `synclog log` and `synclog history` print the same facts as text or --json.',
    )
    .action(async (options: { log?: string; path?: string; skipDamaged?: boolean }) =>
      context.run(false, async () => {
        // Ink renders only a final frame when it believes it runs in CI (it reads $CI when first imported). An
        // interactive terminal is interactive whatever the environment says, so hide the flag before loading it.
        if (process.stdout.isTTY) {
          delete process.env.CI;
          delete process.env.CONTINUOUS_INTEGRATION;
        }
        const { exploreLog } = await import('../../explorer/index.js');
        await exploreLog({ logDir: options.log ?? defaultLogDir(), path: options.path, skipDamaged: options.skipDamaged === true });
      }),
    );
}
