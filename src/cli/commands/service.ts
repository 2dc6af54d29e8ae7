// `synclog service install [--user] --config FILE [--name NAME] [--unit-dir DIR] [--dry-run] [--force]`: writes a
// systemd unit that runs `synclog run --config FILE` (a system unit in /etc/systemd/system, or with --user one in
// ~/.config/systemd/user) and prints how to enable it. The config is checked first: a unit for a config that would
// not start is not written. The unit's text is src/service's renderUnit (the same as contrib/systemd/ ships).
// Never runs systemctl itself: enabling a service is the operator's step.
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { displayName } from '../../util/display-name.js';
import { writeFileAtomic } from '../../util/fs-durable.js';
import type { CommandContext } from '../main.js';
import { EXIT, printJson, printLine } from '../output.js';
import { loadConfigOrReport } from './run.js';

interface InstallCliOptions {
  user?: boolean;
  config: string;
  name: string;
  unitDir?: string;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  const service = program.command('service').description('set synclog up as a systemd service');
  service
    .command('install')
    .description('write a systemd unit running `synclog run --config FILE` and print how to enable it')
    .requiredOption('--config <file>', 'the config file the unit runs (checked first)')
    .option('--user', 'a --user unit (~/.config/systemd/user), run in your session, instead of a system unit')
    .option('--name <name>', 'unit name (NAME.service)', 'synclog')
    .option('--unit-dir <dir>', 'write the unit here instead of the systemd default')
    .option('--dry-run', 'print the unit and where it would go; write nothing')
    .option('--force', 'replace an existing unit of that name with different content')
    .option('--json', 'one JSON object')
    .action(async (options: InstallCliOptions) => context.run(Boolean(options.json), () => install(options)));
}

/** The command that starts this very synclog: node and bin/synclog.js, absolute (a unit has no PATH to rely on). */
function synclogCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('../../../bin/synclog.js', import.meta.url))];
}

async function install(options: InstallCliOptions): Promise<number> {
  if (!/^[A-Za-z0-9_.@-]+$/.test(options.name)) throw new UsageError(`--name ${JSON.stringify(options.name)} is not a unit name`, { fix: 'letters, digits, and _ . @ -' });
  const { renderUnit } = await import('../../service/index.js');
  const config = await loadConfigOrReport(options.config, Boolean(options.json), { files: true });
  if (!config) return EXIT.usage;
  const user = Boolean(options.user);
  const dir = resolve(options.unitDir ?? (user ? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'systemd', 'user') : '/etc/systemd/system'));
  const file = join(dir, `${options.name}.service`);
  const unit = renderUnit({ user, synclog: synclogCommand(), config: config.file });
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing !== unit && !options.force && !options.dryRun) {
    throw new UsageError(`${file} exists with other content`, { fix: 'pass --force to replace it, or --name for another unit' });
  }
  const systemctl = user ? 'systemctl --user' : 'sudo systemctl';
  const next = [`${systemctl} daemon-reload`, `${systemctl} enable --now ${options.name}.service`, `journalctl ${user ? '--user ' : ''}-u ${options.name} -f`];
  if (user) next.push(`loginctl enable-linger ${process.env.USER ?? '$USER'}   # keep it running while you are logged out`);
  if (options.dryRun) {
    if (options.json) printJson({ ok: true, dryRun: true, file, unit, next });
    else {
      printLine(`# would write ${displayName(file)}:`);
      for (const line of unit.trimEnd().split('\n')) printLine(line);
    }
    return EXIT.ok;
  }
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(file, Buffer.from(unit), { mode: 0o644 });
  if (options.json) printJson({ ok: true, file, next });
  else {
    printLine(`wrote ${displayName(file)}; to start it now and at every ${user ? 'login' : 'boot'}:`);
    for (const line of next) printLine(`  ${line}`);
  }
  return EXIT.ok;
}
