// Renders the explorer app in-process (ink-testing-library) over a real log built through the store API, and
// gives tests key presses and a waitFor on frames.
import { render } from 'ink-testing-library';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ExplorerApp } from '../../../src/explorer/app.js';
import { createArchiveOps } from '../../../src/explorer/services/archive-ops.js';
import { RootPaths } from '../../../src/explorer/services/root-paths.js';
import type { ExplorerCatalog, TerminalSize } from '../../../src/explorer/model/index.js';
import type { ExplorerDeps } from '../../../src/explorer/services/run-effect.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { appendSteps, type LogStep } from './build-log.js';

export const KEYS = {
  enter: '\r',
  escape: '\u001b',
  down: '\u001b[B',
  up: '\u001b[A',
  pageDown: '\u001b[6~',
  backspace: '\u007f',
} as const;

export interface Harness {
  dir: string;
  logDir: string;
  rootDir: string;
  store: Store;
  frame(): string;
  press(...keys: string[]): Promise<void>;
  waitFor(predicate: (frame: string) => boolean, what?: string): Promise<string>;
  stdout: ReturnType<typeof render>['stdout'];
  close(): Promise<void>;
}

/** Polls until `predicate(frame)` holds (effects run asynchronously: store reads, restore, export). */
async function waitForFrame(get: () => string, predicate: (frame: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = get();
    if (predicate(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${frame}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface HarnessOptions {
  /** A fixed size (default 80x24); null: follow the (fake) terminal's size and resize events. */
  size?: TerminalSize | null;
  colour?: boolean;
  initialPath?: string;
  /** Use this catalog instead of the store's (100,000-path tests). */
  catalog?: ExplorerCatalog;
  /** Opens a writer on the log after building it and imports through it (a watcher in the same process). */
  withWriter?: boolean;
}

/** Builds a log from `steps` (the watch root is `<tmp>/root`, named `home`), then renders the app on it. */
export async function startApp(steps: LogStep[], options: HarnessOptions = {}): Promise<Harness> {
  const dir = await makeTmpDir('synclog-explore-');
  const logDir = join(dir, 'log');
  const rootDir = join(dir, 'root');
  await mkdir(rootDir, { recursive: true });
  await appendSteps(logDir, [{ watch: 'home', rootPath: rootDir }, ...steps]);
  const store = await openStore(logDir, { readOnly: true, workers: 0 });
  const writer = options.withWriter ? await openStore(logDir, { workers: 0 }) : undefined;
  const catalog = options.catalog ?? (await store.catalog());
  const deps: ExplorerDeps = {
    store,
    catalog,
    rootPaths: new RootPaths(store, () => catalog.nextSeq),
    archive: createArchiveOps(store, logDir, writer),
    cwd: dir,
  };
  const app = render(
    <ExplorerApp
      deps={deps}
      logDir={logDir}
      size={options.size === null ? undefined : (options.size ?? { width: 80, height: 24 })}
      colour={options.colour ?? false}
      pollIntervalMs={50}
      initialPath={options.initialPath}
    />,
  );
  const frame = () => app.lastFrame() ?? '';
  const harness: Harness = {
    dir,
    logDir,
    rootDir,
    store,
    frame,
    stdout: app.stdout,
    async press(...keys) {
      for (const key of keys) {
        app.stdin.write(key);
        // Let Ink deliver and render each key before the next (real typing never batches them either).
        await new Promise((r) => setTimeout(r, 15));
      }
    },
    waitFor: (predicate, what = 'a frame') => waitForFrame(frame, predicate, what),
    async close() {
      app.unmount();
      await store.close();
      await writer?.close();
    },
  };
  await harness.waitFor((f) => f.includes('synclog explore') && !f.includes('Loading'), 'the first frame');
  return harness;
}
