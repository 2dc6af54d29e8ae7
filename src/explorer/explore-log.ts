// exploreLog(options): the explorer's entry point (`synclog explore`, and the library's watcher.exploreLog()).
// Checks what a terminal UI needs before drawing anything (a log that exists, an interactive terminal), opens the
// log read-only (it never takes the writer lock: a watcher may keep appending), and runs the Ink app until the user
// quits. Ink and React are imported here, lazily, so importing the library stays light.
import { checkLogDir } from '../log/index.js';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { NotFoundError, UsageError, wrapIoError } from '../errors.js';
import type { StoreApi } from '../store/types.js';
import { EXPLORER_LIMITS } from '../util/limits.js';
import { createArchiveOps } from './services/archive-ops.js';
import { RootPaths } from './services/root-paths.js';
import type { ExplorerDeps } from './services/run-effect.js';

export interface ExploreOptions {
  logDir: string;
  /** A display path (root/rel/path) to open at start, or text to filter by. */
  path?: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** Default: on unless NO_COLOR is set. */
  colour?: boolean;
  /** How often to look for records other processes appended. Default EXPLORER_LIMITS.pollIntervalMs. */
  pollIntervalMs?: number;
  /** Where relative restore and archive paths start. Default process.cwd(). */
  cwd?: string;
  /**
   * A store already open for writing on this log (a watcher running in this process): import appends through it.
   * Without it, import opens the log as a writer for its duration (refused while another process holds the lock).
   */
  writer?: StoreApi;
  /**
   * Read on past mid-log damage (docs/format.md "Reading past damage"): the title line counts the regions read past,
   * and a version whose content is not intact shows an error on preview, diff or restore. Default false: damage
   * stops the explorer before it draws (exit 1, naming it).
   */
  skipDamaged?: boolean;
}

/** Switches to the terminal's alternate screen, so quitting gives the shell its screen back untouched. */
const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';

/** Throws NotFoundError when there is no log at `logDir`. */
/**
 * Runs the explorer on the log at `options.logDir` until the user quits. Rejects with NotFoundError when the log
 * is missing (exit 1) and UsageError when stdin/stdout is not an interactive terminal (exit 2).
 */
export async function exploreLog(options: ExploreOptions): Promise<void> {
  const logDir = resolve(options.logDir);
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  // Before the terminal check: a wrong --log is the first thing to say (the same check every log open makes).
  await checkLogDir(logDir, 'read');
  if (!stdout.isTTY || !stdin.isTTY) {
    throw new UsageError('explore needs an interactive terminal (stdin and stdout must be a TTY); for scripts and pipes use `synclog log` or `synclog history <path>` instead', {
      stdoutIsTTY: Boolean(stdout.isTTY),
      stdinIsTTY: Boolean(stdin.isTTY),
    });
  }
  const { openStore } = await import('../store/index.js');
  const store = await openStore(logDir, { readOnly: true, workers: 0, skipDamaged: options.skipDamaged === true });
  try {
    await runApp(store, logDir, options, stdin, stdout);
  } finally {
    await store.close();
  }
}

/** --path as given (root/rel), or a file-system path (absolute, or starting with '.') inside a watched root. */
async function displayPathFor(path: string, rootPaths: RootPaths, cwd: string): Promise<string> {
  if (!isAbsolute(path) && !path.startsWith('.')) return path;
  return (await rootPaths.displayPathOf(resolve(cwd, path))) ?? path;
}

async function runApp(store: StoreApi, logDir: string, options: ExploreOptions, stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): Promise<void> {
  const [{ render }, { createElement }, { ExplorerApp }, { colourWanted }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./app.js'),
    import('./components/Theme.js'),
  ]);
  const catalog = await store.catalog();
  const cwd = options.cwd ?? process.cwd();
  const rootPaths = new RootPaths(store, () => catalog.nextSeq);
  const deps: ExplorerDeps = {
    store,
    catalog,
    rootPaths,
    archive: createArchiveOps(store, logDir, options.writer, options.skipDamaged === true),
    cwd,
    home: homedir(),
    skippedRegions: () => store.skipped().length,
  };
  const initialPath = options.path === undefined ? undefined : await displayPathFor(options.path, rootPaths, cwd);
  stdout.write(ALT_SCREEN_ON);
  try {
    const app = render(
      createElement(ExplorerApp, {
        deps,
        logDir,
        initialPath,
        colour: options.colour ?? colourWanted(),
        pollIntervalMs: options.pollIntervalMs ?? EXPLORER_LIMITS.pollIntervalMs,
      }),
      { stdin, stdout, stderr: options.stderr ?? process.stderr, exitOnCtrlC: true, patchConsole: false },
    );
    // A terminal closed or a kill ends the app like q does: the screen is restored and the store closed.
    const stop = () => app.unmount();
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
    try {
      await app.waitUntilExit();
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGHUP', stop);
    }
  } finally {
    stdout.write(ALT_SCREEN_OFF);
  }
}
