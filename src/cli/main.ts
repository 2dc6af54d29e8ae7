// CLI wiring only: builds the commander program from src/cli/commands/*.js, runs it, maps errors to exit codes.
// Each command module exports `register(program, context)`; it declares options and lazily imports its work so that
// `synclog --help` stays fast (the explorer's Ink/React are loaded only by `synclog explore`).
import { Command, CommanderError } from 'commander';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from '../errors.js';
import { EXIT, reportError } from './output.js';

export interface CommandContext {
  /** Runs a command body: reports errors (JSON or text), sets the exit code. */
  run(json: boolean, body: () => Promise<number | void>): Promise<void>;
}

export interface CommandModule {
  register(program: Command, context: CommandContext): void;
}

const here = dirname(fileURLToPath(import.meta.url));

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The command module files to load: only the invoked command's when argv names one (each module costs start-up
 * time, and `synclog receive` is timed against rsync), none for `--version` alone (the program answers it), all of
 * them otherwise (`--help`, `help`, a typo to report).
 */
function commandFilesFor(files: string[], argv: readonly string[] | undefined): string[] {
  const named = argv?.[2];
  if ((named === '--version' || named === '-V') && argv?.length === 3) return [];
  if (named === undefined || named.startsWith('-')) return files;
  const file = `${named}.js`;
  return files.includes(file) ? [file] : files;
}

export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('synclog')
    .description('Continuous, crash-safe history of folders in an append-only log, and mirrors that follow it.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    // `--version ID` belongs to checkout, restore and export: without positional options commander would take it
    // as the program's --version anywhere on the line. Program options still work before the command name. Set
    // here, not by a command module: main.ts may load only the invoked command's module.
    .enablePositionalOptions()
    .exitOverride();
  const context: CommandContext = {
    async run(json, body) {
      try {
        const code = await body();
        process.exitCode = code ?? EXIT.ok;
      } catch (error) {
        process.exitCode = reportError(error, json);
      }
    },
  };
  const commandsDir = join(here, 'commands');
  let files: string[] = [];
  try {
    files = readdirSync(commandsDir).filter((f) => f.endsWith('.js')).sort();
  } catch {
    // No commands built yet.
  }
  for (const file of commandFilesFor(files, argv)) {
    const module = (await import(pathToFileURL(join(commandsDir, file)).href)) as Partial<CommandModule>;
    if (typeof module.register === 'function') module.register(program, context);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `synclog log | head` closes our stdout early: that is the reader's choice, not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; argument errors with 2.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.exitCode = reportError(error instanceof Error ? error : new UsageError(String(error)), false);
  }
}

await main(process.argv);
