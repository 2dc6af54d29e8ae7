// `synclog snapshot`: one pass and exit. An unchanged 10,000-file tree is rescanned without reading any content
// (the stat cache), and changes made between passes (edits, deletes, moves) are found. `--every` stays and passes on
// a schedule until SIGTERM; its bad values are refused.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

interface Summary {
  ok: boolean;
  created: number;
  modified: number;
  deleted: number;
  renamed: number;
  versions: number;
  bytesIngested: number;
  filesRead: number;
  duplicatesSkipped: number;
}

async function snapshot(args: string[]): Promise<Summary> {
  const result = await runCli(['snapshot', ...args, '--json'], { timeoutMs: 90_000 });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Summary;
}

describe('synclog snapshot', () => {
  it('rescans an unchanged 10,000-file tree without reading any file content', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(data, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(data, `d${d}`, `f${f}.txt`), `content ${d}/${f}`);
    }
    // The stat cache trusts an entry only when the file's ctime is well before the read (the racy-git rule,
    // LIMITS.statCacheRacyWindowMs): files read in the same instant they were written are re-read next time.
    await new Promise((resolve) => setTimeout(resolve, 2_700));
    const log = join(dir, 'log');
    const first = await snapshot([data, '--log', log]);
    expect(first).toMatchObject({ ok: true, created: 10_100, versions: 10_100, filesRead: 10_000 });
    const second = await snapshot([data, '--log', log]);
    expect(second).toMatchObject({ ok: true, versions: 0, bytesIngested: 0, filesRead: 0, duplicatesSkipped: 0 });
  });

  it('finds edits, deletes, moves and new empty folders made between passes; honours --exclude', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(join(data, 'a'), { recursive: true });
    await writeFile(join(data, 'a', 'one.txt'), 'one');
    await writeFile(join(data, 'two.txt'), 'two');
    await writeFile(join(data, 'three.txt'), 'three');
    expect(await snapshot([data, '--log', log])).toMatchObject({ created: 4 });
    await writeFile(join(data, 'two.txt'), 'two, edited');
    await rm(join(data, 'three.txt'));
    await mkdir(join(data, 'b'));
    await rename(join(data, 'a', 'one.txt'), join(data, 'b', 'one.txt'));
    await mkdir(join(data, 'empty'));
    await writeFile(join(data, 'skip.log'), 'excluded');
    const second = await snapshot([data, '--log', log, '--exclude', '*.log']);
    expect(second).toMatchObject({ modified: 1, deleted: 1, renamed: 1, created: 2 });
    const listing = await runCli(['log', '--log', log, '--json', '--path', 'data/b']);
    const entries = JSON.parse(listing.stdout) as { path: string; event: string; renamedFrom?: string }[];
    expect(entries.map((e) => [e.path, e.event, e.renamedFrom])).toEqual([
      ['data/b', 'created', undefined],
      ['data/b/one.txt', 'renamed', 'data/a/one.txt'],
    ]);
    const all = await runCli(['log', '--log', log, '--json']);
    expect(all.stdout).not.toContain('skip.log');
  });
});

describe('synclog snapshot --every', () => {
  it('passes now and then every interval until SIGTERM, recording what changed between them; exit 0', { timeout: 120_000 }, async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'photos'));
    await writeFile(join(work, 'photos', 'one.jpg'), 'one');
    const run = spawnCli(['snapshot', join(work, 'photos'), '--log', join(work, 'log'), '--every', '1s', '--jitter', '0s']);
    let stdout = '';
    run.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
    let code: number | null;
    try {
      await waitForLine(run, /^snapshot: 1 versions \(1 created/, 60_000);
      await writeFile(join(work, 'photos', 'two.jpg'), 'two');
      // A later pass (not live watching) finds it.
      await waitFor(async () => {
        const history = await runCli(['log', '--log', join(work, 'log'), '--json']);
        return history.stdout.includes('two.jpg');
      }, 'the second file recorded by a later pass', 60_000, 250);
    } finally {
      run.kill('SIGTERM');
      code = await exited(run);
    }
    expect(code).toBe(0);
    expect(stdout.split('\n').filter((line) => line.startsWith('snapshot: ')).length).toBeGreaterThanOrEqual(2);
  });

  it('a pass that cannot run (the log locked by a watch) is said, the schedule goes on, and the exit is 1', { timeout: 120_000 }, async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'p'));
    const watch = spawnCli(['watch', join(work, 'p'), '--log', join(work, 'log')]);
    let code: number | null;
    try {
      await waitForLine(watch, /^ready: /, 60_000);
      const run = spawnCli(['snapshot', join(work, 'p'), '--log', join(work, 'log'), '--every', '1s', '--jitter', '0s']);
      let stderr = '';
      run.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
      try {
        await waitFor(() => stderr.split('\n').filter((line) => line.includes('log is locked')).length >= 2, 'two passes refused by the lock', 60_000, 100);
      } finally {
        run.kill('SIGTERM');
        code = await exited(run);
      }
    } finally {
      watch.kill('SIGTERM');
      await exited(watch);
    }
    expect(code).toBe(1);
  });

  it('refuses a jitter without --every, a jitter of half the interval or more, a bare number', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'p'));
    for (const [args, message] of [
      [['--jitter', '1s'], '--jitter goes with --every'],
      [['--every', '10s', '--jitter', '5s'], '--jitter must be less than half of --every'],
      [['--every', '60'], 'bad duration "60"'],
    ] as const) {
      const result = await runCli(['snapshot', join(work, 'p'), '--log', join(work, 'log'), ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });
});
