// Issue 13 item 1 in the suite: one round of stress/watcher-burst.ts. `cp -r` of a package tree with deep folders
// (es-toolkit: ~4,400 paths, the tree whose dist/compat/util lost all its files in the report) into a watched folder
// while two `yes` processes load both cores; the log's paths must equal the disk and every folder must be watched
// (an edit in the deepest one is recorded). `npm run stress -- N --only watcher-burst` runs many rounds of all of
// node_modules.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';

describe('watcher under CPU contention', () => {
  it('records every file of a burst of deep folders and watches every folder', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO_ROOT, 'stress', 'watcher-burst.ts'), '1', join(REPO_ROOT, 'node_modules', 'es-toolkit')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out).toMatch(/round 1: \d{4,} paths, \d+ folders, 0 missing, edit recorded/);
    expect(code).toBe(0);
  }, 240_000);
});
