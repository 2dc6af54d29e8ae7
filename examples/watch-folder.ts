// Example: watch a folder and keep every version of every file. Starts a watcher on ./data (log in ./data.synclog),
// saves a config file twice and renames a note, waits until those changes are durable, reads the config's history,
// and restores its first version beside it.
//
// Two ways to hear about changes, both called only once the change is durable in the log:
//  - events (chokidar style): watcher.on('version' | 'created' | 'modified' | 'deleted' | 'renamed', change => …)
//  - handlers in the options: onFileCreated / onFileModified / onFileDeleted / onFileRenamed.
// They are the same path inside the watcher (handlers are called right after the matching event); use events for
// several listeners or to attach later, handlers for a one-object setup. A handler that throws is reported as an
// 'error' event and never stops the watcher.
// Run: npx tsx examples/watch-folder.ts
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppendOnlyLogWatcher, type WatcherChange } from '../src/index.js';

export async function runExample(workDir: string): Promise<{ changes: string[]; history: string[]; restored: string }> {
  const data = join(workDir, 'data');
  await mkdir(data, { recursive: true });
  await writeFile(join(data, 'note.txt'), 'remember the milk\n');
  const changes: string[] = [];
  const note = (change: WatcherChange) => changes.push(`${change.change} ${change.display}`);

  await using watcher = new AppendOnlyLogWatcher({
    watchPath: data,
    logPath: join(workDir, 'data.synclog'),
    exclude: ['*.tmp', 'node_modules'],
    onFileCreated: note,
    onFileModified: note,
    onFileRenamed: note,
  });
  watcher.on('deleted', note);
  watcher.on('error', (error) => console.error('watch problem:', error.message));
  await watcher.start(); // the initial scan records note.txt

  const config = join(data, 'config.json');
  await writeFile(config, '{"theme":"light"}\n');
  await waitForChange(watcher, 'data/config.json');
  await writeFile(config, '{"theme":"dark"}\n');
  await waitForChange(watcher, 'data/config.json');
  await rename(join(data, 'note.txt'), join(data, 'todo.txt'));
  await waitForChange(watcher, 'data/todo.txt');
  await watcher.flush(); // everything seen so far is durable

  const history = await watcher.getFileHistory('data/config.json');
  const restoredPath = join(workDir, 'config.restored.json');
  await watcher.restoreVersion('data/config.json', history[0]!.versionId, restoredPath);
  console.log(watcher.getStats());
  return { changes, history: history.map((v) => v.event), restored: await readFile(restoredPath, 'utf8') };
}

/** Resolves at the next durable version of `display` (a real program would just keep listening). */
function waitForChange(watcher: AppendOnlyLogWatcher, display: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (change: WatcherChange) => {
      if (change.display !== display) return;
      watcher.off('version', listener);
      resolve();
    };
    watcher.on('version', listener);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const workDir = await mkdtemp(join(tmpdir(), 'synclog-example-'));
  try {
    console.log(await runExample(workDir));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
