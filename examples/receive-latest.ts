// Example: keep a mirror of a folder that follows its log. A watcher records ./data into ./data.synclog; a
// LogReceiver follows that log into ./mirror (mode 'latest': the newest state, deletes and renames included), and a
// second receiver keeps every version side by side in ./history (mode 'all-versions', see docs/receiver.md).
// The receivers never touch the source; they could as well run on another machine reading a copy of the log, or
// later: each keeps its cursor in <out>/.synclog-receiver and resumes where it stopped.
// Run: npx tsx examples/receive-latest.ts
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogReceiver, type AppliedChange } from '../src/receiver/index.js';
import { AppendOnlyLogWatcher } from '../src/watcher/index.js';

/** Resolves when `receiver` applies a change to `display` (e.g. 'data/todo.txt'). */
function applied(receiver: LogReceiver, display: string): Promise<AppliedChange> {
  return new Promise((resolve) => {
    const listener = (change: AppliedChange) => {
      if (change.display !== display) return;
      receiver.off('applied', listener);
      resolve(change);
    };
    receiver.on('applied', listener);
  });
}

export async function runExample(workDir: string): Promise<{ mirror: string[]; todo: string; history: string[]; changes: string[] }> {
  const data = join(workDir, 'data');
  const logPath = join(workDir, 'data.synclog');
  await mkdir(data, { recursive: true });
  await writeFile(join(data, 'note.txt'), 'remember the milk\n');

  await using watcher = new AppendOnlyLogWatcher({ watchPath: data, logPath });
  await watcher.start(); // the initial scan records note.txt

  await using mirror = new LogReceiver({ logPath, outputPath: join(workDir, 'mirror'), mode: 'latest' });
  const changes: string[] = [];
  mirror.on('applied', (change) => changes.push(`${change.change} ${change.display}`));
  mirror.on('warning', (warning) => console.warn(warning.message)); // e.g. a link pointing outside the mirror
  mirror.on('error', (error) => console.error('receiver stopped:', error.message));
  await mirror.start(); // catches up (note.txt), then follows

  const renamed = applied(mirror, 'data/todo.txt');
  await rename(join(data, 'note.txt'), join(data, 'todo.txt'));
  await renamed;
  const edited = applied(mirror, 'data/todo.txt');
  await writeFile(join(data, 'todo.txt'), 'remember the milk\nand the bread\n');
  await edited;
  await mirror.stop(); // cursor saved: a later start() resumes from here

  // Every version side by side: one catch-up, then done.
  await new LogReceiver({ logPath, outputPath: join(workDir, 'history'), mode: 'all-versions' }).catchUp();
  const history = await readdir(join(workDir, 'history', '.versions', 'data', 'todo.txt'));
  return {
    mirror: await readdir(join(workDir, 'mirror', 'data')),
    todo: await readFile(join(workDir, 'mirror', 'data', 'todo.txt'), 'utf8'),
    history: history.sort(),
    changes,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const workDir = await mkdtemp(join(tmpdir(), 'synclog-example-'));
  try {
    console.log(await runExample(workDir));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
