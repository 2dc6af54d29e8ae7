// `synclog import FILE [--log DIR] [--root NAME] [--max-bytes N] [--max-ratio N] [--json]`: adds a synclog archive
// (versions keep their ids; ones already in the log are skipped) or a plain .tar/.tar.gz (a snapshot into one root)
// to the log, all or nothing. Wiring only: the work is importArchive in src/archive (loaded lazily). Takes the
// writer lock (exit 3 while a watcher runs). A hostile or broken archive is refused (exit 1) and changes nothing.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { displayName } from '../../util/display-name.js';
import { printJson, printLine } from '../output.js';
import { startProgress } from '../progress.js';

interface ImportCliOptions {
  root?: string;
  maxBytes?: string;
  maxRatio?: string;
  allowSymlinkEscape?: boolean;
  log?: string;
  json?: boolean;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "64G", "500m", "1048576" → bytes. */
export function parseBytes(value: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${option} wants a size like 10G, 500M or 1048576`, { [option]: value });
  return bytes;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('import')
    .description('add an archive to the log: a synclog export (history kept) or a plain .tar/.tar.gz (a snapshot)')
    .argument('<file>', 'the archive')
    .option('--root <name>', 'plain tarballs: the root to import into (default: the archive name without .tar.gz)')
    .option('--max-bytes <size>', 'refuse archives that unpack to more than this (default 64G)')
    .option('--max-ratio <n>', 'refuse archives that unpack to more than n times their size (default 1000)')
    .option('--allow-symlink-escape', 'accept symlinks whose target leaves the archive (stored, never followed)')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print one JSON object: { ok, kind, versions, deletes, skipped, newChunks, newBytes, storedBytes, records }')
    .action(async (file: string, options: ImportCliOptions) => context.run(Boolean(options.json), () => runImport(file, options)));
}

async function runImport(file: string, options: ImportCliOptions): Promise<void> {
  const maxBytes = options.maxBytes === undefined ? undefined : parseBytes(options.maxBytes, '--max-bytes');
  const maxRatio = options.maxRatio === undefined ? undefined : Number(options.maxRatio);
  if (maxRatio !== undefined && !(maxRatio >= 1)) throw new UsageError('--max-ratio wants a number of at least 1', { maxRatio: options.maxRatio });
  const [{ importArchive }, { openStore }] = await Promise.all([import('../../archive/index.js'), import('../../store/index.js')]);
  const json = Boolean(options.json);
  const logDir = resolve(options.log ?? defaultLogDir());
  // A log this import creates is removed again if the import fails: a refused archive leaves nothing behind.
  const created = !existsSync(logDir);
  const store = await openStore(logDir);
  const progress = startProgress({ label: 'importing', unit: 'bytes', json });
  let imported = false;
  try {
    const result = await importArchive(store, file, {
      ...(options.root !== undefined ? { root: options.root } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      ...(maxRatio !== undefined ? { maxRatio } : {}),
      ...(options.allowSymlinkEscape ? { allowEscapingSymlinks: true } : {}),
      onProgress: progress.report,
    });
    imported = true;
    progress.stop();
    if (json) {
      printJson({ ok: true, ...result });
      return;
    }
    const into = result.kind === 'plain' ? ` into root ${displayName(result.root ?? '')}` : '';
    printLine(
      `imported ${displayName(result.file)}${into}: ${result.versions} version(s), ${result.deletes} delete(s), ${result.newChunks} new chunk(s) ` +
        `(${result.newBytes} bytes, ${result.storedBytes} stored); ${result.skipped} already in the log`,
    );
  } finally {
    progress.stop();
    await store.close();
    // Only a folder this run made (it held the writer lock throughout, so all in it is this run's own files).
    if (created && !imported) await rm(logDir, { recursive: true, force: true });
  }
}
