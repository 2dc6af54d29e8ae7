// `tsx stress/watcher-burst.ts [COUNT] [SOURCE]` (default 20 rounds of node_modules): issue 13 item 1. Each round watches a fresh folder with the
// built library, copies node_modules into it (`cp -r`, thousands of files and hundreds of folders) while two
// `yes` processes (output to /dev/null) load the CPUs, waits until the watcher is flushed and quiet, and then requires the log's
// live paths to equal the disk and every folder to be watched (an edit in the deepest folder is recorded).
// Exits 1 on the first round that differs. Needs `npm run build` (stress/run.ts does it). The suite runs one round
// of a smaller tree (tests/integration/watcher-burst-load.test.ts).
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const { AppendOnlyLogWatcher } = (await import(join(repo, 'dist', 'index.js'))) as typeof import('../src/index.js');
const count = Number(process.argv[2] ?? 20);
const source = process.argv[3] ?? join(repo, 'node_modules');
/** A round takes 12-45 s on a loaded 2-core machine; one that has not settled after this is stuck. */
const ROUND_MS_MAX = 240_000;

function walk(dir: string, base: string, out: string[], dirs: string[]): void {
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    out.push(abs.slice(base.length + 1));
    if (lstatSync(abs).isDirectory()) {
      dirs.push(abs);
      walk(abs, base, out, dirs);
    }
  }
}

async function round(n: number): Promise<boolean> {
  const base = mkdtempSync(join(tmpdir(), 'synclog-burst-'));
  const data = join(base, 'data');
  mkdirSync(data);
  const watcher = new AppendOnlyLogWatcher({ watchPaths: [data], logPath: join(base, 'log') });
  const seen = new Set<string>();
  watcher.on('version', (c) => seen.add(c.path));
  watcher.on('error', (e) => process.stdout.write(`  error: ${e.message}\n`));
  await watcher.start();
  // `yes` itself, not through sh: killing a shell wrapper left its `yes` running after the round.
  const loads = [0, 1].map(() => spawn('yes', [], { stdio: 'ignore' }));
  const started = Date.now();
  try {
    await new Promise((resolve) => spawn('cp', ['-r', source, join(data, 'pkg')]).once('exit', resolve));
    // A round that does not settle within ROUND_MS_MAX fails with the watcher's state, instead of hanging the run.
    const watchdog = setTimeout(() => {
      process.stdout.write(`round ${n}: NOT SETTLED after ${ROUND_MS_MAX / 1000} s: ${JSON.stringify(watcher.getStats())}\n  kept ${base}\n`);
      for (const load of loads) load.kill();
      process.exit(1);
    }, ROUND_MS_MAX);
    watchdog.unref();
    for (let before = -1; before !== watcher.getStats().versions; ) {
      before = watcher.getStats().versions;
      if (process.env.SYNCLOG_STRESS_VERBOSE) process.stdout.write(`  ${((Date.now() - started) / 1000).toFixed(1)} s: ${before} versions, ${watcher.getStats().pending} pending, ${watcher.getStats().errors} errors\n`);
      await watcher.flush();
      await new Promise((r) => setTimeout(r, 3000));
      await watcher.flush();
    }
    clearTimeout(watchdog);
  } finally {
    for (const load of loads) load.kill();
  }
  const paths: string[] = [];
  const dirs: string[] = [];
  walk(data, data, paths, dirs);
  const missing = paths.filter((p) => !seen.has(p));
  // Every folder watched: an edit in the deepest one must be recorded.
  const deepest = dirs.sort((a, b) => b.split('/').length - a.split('/').length)[0]!;
  writeFileSync(join(deepest, 'zz-burst-edit.txt'), 'edit');
  const editPath = join(deepest, 'zz-burst-edit.txt').slice(data.length + 1);
  const until = Date.now() + 30_000;
  while (!seen.has(editPath) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  await watcher.stop();
  const ok = missing.length === 0 && seen.has(editPath);
  process.stdout.write(
    `round ${n}: ${paths.length} paths, ${dirs.length} folders, ${missing.length} missing, edit ${seen.has(editPath) ? 'recorded' : 'NOT recorded'}, ${((Date.now() - started) / 1000).toFixed(1)} s${missing.length ? ` e.g. ${missing.slice(0, 3).join(', ')}` : ''}\n`,
  );
  if (ok) rmSync(base, { recursive: true, force: true });
  else process.stdout.write(`  kept ${base}\n`);
  return ok;
}

for (let n = 1; n <= count; n++) {
  if (!(await round(n))) {
    process.exitCode = 1;
    break;
  }
}
