// `synclog watch` end to end: a real child process, real inotify, a burst of 5,000 files, SIGINT → flush → exit 0;
// past the inotify limit (a user namespace of its own) the count and fix are said once; --exec hands a hostile name
// to a program as data and filters by kind and path.
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canLowerInotifyLimit, spawnCliWithInotifyLimit } from '../helpers/inotify-limit.js';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

function collectLines(child: ReturnType<typeof spawnCli>): { lines: () => Record<string, unknown>[]; stderr: () => string } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return {
    // Only whole lines: the last piece may be a line still being written.
    lines: () => out.split('\n').slice(0, -1).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: () => err,
  };
}

function exited(child: ReturnType<typeof spawnCli>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('synclog watch', () => {
  it('records a burst of 5,000 new files, then flushes and exits 0 on SIGINT', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(data);
    const child = spawnCli(['watch', data, '--log', log, '--json']);
    const out = collectLines(child);
    const done = exited(child);
    await waitForLine(child, /"event":"ready"/);
    const expected = new Set<string>();
    for (let d = 0; d < 50; d++) {
      await mkdir(join(data, `d${d}`));
      await Promise.all(
        Array.from({ length: 100 }, (_, f) => {
          expected.add(`data/d${d}/f${f}.txt`);
          return writeFile(join(data, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`);
        }),
      );
    }
    const files = () => new Set(out.lines().filter((l) => l.event === 'version' && l.type === 'file').map((l) => l.display as string));
    await waitFor(() => files().size >= 5000, '5,000 file versions', 45_000, 200);
    child.kill('SIGINT');
    expect(await done).toBe(0);
    expect([...files()].sort()).toEqual([...expected].sort());
    const stopped = out.lines().find((l) => l.event === 'stopped') as { stats: { created: number; errors: number } } | undefined;
    expect(stopped?.stats.created).toBe(5050);
    expect(stopped?.stats.errors).toBe(0);

    // The log agrees, read by another process.
    const logged = await runCli(['log', '--log', log, '--json', '--path', 'data/d49']);
    expect(logged.code).toBe(0);
    expect((JSON.parse(logged.stdout) as unknown[]).length).toBe(101);
  });

  it('without a terminal, says what it is doing before it is ready (no silent start-up)', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    await mkdir(data);
    await writeFile(join(data, 'a.txt'), 'a');
    const child = spawnCli(['watch', data, '--log', join(dir, 'log')]);
    const out = collectLines(child);
    const done = exited(child);
    await waitForLine(child, /^ready: watching data/m);
    // Written before start-up begins; stderr is another pipe, so it may reach this process a moment after stdout.
    const starting = /^starting: opening .*log and scanning .*data for changes since the last run$/m;
    await waitFor(() => starting.test(out.stderr()), 'the starting notice on stderr', 10_000, 50, () => out.stderr());
    child.kill('SIGINT');
    expect(await done).toBe(0);
  });

  it('finds changes made while it was stopped, and exits 0 on SIGTERM', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(data);
    await writeFile(join(data, 'keep.txt'), 'keep');
    await writeFile(join(data, 'edit.txt'), 'v1');
    await writeFile(join(data, 'gone.txt'), 'bye');
    const first = await runCli(['snapshot', data, '--log', log, '--json']);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 3 });

    await writeFile(join(data, 'edit.txt'), 'v2 longer');
    await writeFile(join(data, 'new.txt'), 'new');
    const { rm } = await import('node:fs/promises');
    await rm(join(data, 'gone.txt'));
    const child = spawnCli(['watch', data, '--log', log, '--json']);
    const out = collectLines(child);
    const done = exited(child);
    await waitForLine(child, /"event":"ready"/);
    const changes = () => out.lines().filter((l) => l.event === 'version').map((l) => `${l.change} ${l.display}`);
    await waitFor(() => changes().length >= 3, 'catch-up changes');
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(changes().sort()).toEqual(['created data/new.txt', 'deleted data/gone.txt', 'modified data/edit.txt']);
  });

  it('polls with --poll (network mounts), honours --exclude and --no-initial-scan', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(data);
    await writeFile(join(data, 'before.txt'), 'made while nothing watched');
    // Older than the watcher's one-second ctime slack for "made before the start".
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const child = spawnCli(['watch', data, '--log', log, '--json', '--poll', '--no-initial-scan', '--exclude', '*.bak', '--debounce', '20']);
    const out = collectLines(child);
    const done = exited(child);
    await waitForLine(child, /"event":"ready"/);
    await writeFile(join(data, 'skip.bak'), 'excluded');
    await writeFile(join(data, 'polled.txt'), 'seen by polling');
    await waitFor(() => out.lines().some((l) => l.display === 'data/polled.txt'), 'polled change');
    child.kill('SIGINT');
    expect(await done).toBe(0);
    const displays = out.lines().filter((l) => l.event === 'version').map((l) => l.display);
    expect(displays).toEqual(['data/polled.txt']);
  });

  it('refuses a missing directory with a clear error, and prints help', async () => {
    const dir = await makeTmpDir();
    const result = await runCli(['watch', join(dir, 'nope'), '--log', join(dir, 'log')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/does not exist/);
    const help = await runCli(['watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--no-initial-scan/);
  });
});

describe('synclog watch past the inotify limit', () => {
  it('says once that it ran out of watches, how many the folders need and how to raise the limit', { timeout: 120_000 }, async () => {
    // In a user namespace of its own (unshare -U -r) the limit is lowered to 10 there; the machine's is untouched.
    if (!canLowerInotifyLimit(10)) {
      console.log('unshare -U -r with a writable /proc/sys/user/max_inotify_watches is not available here: not checked');
      return;
    }
    const work = await makeTmpDir();
    for (let i = 0; i < 30; i++) await mkdir(join(work, 'docs', `d${i}`), { recursive: true });
    const watch = spawnCliWithInotifyLimit(10, ['watch', join(work, 'docs'), '--log', join(work, 'log')]);
    let stderr = '';
    watch.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    try {
      await waitFor(() => stderr.includes('out of inotify watches: the live folders have 31 directories'), 'the advice', 60_000, 100);
    } finally {
      watch.kill('SIGTERM');
      expect(await exited(watch)).toBe(0);
    }
    expect(stderr).toContain('fs.inotify.max_user_watches is 10 (shared with every other program of this user): raise it with `sudo sysctl fs.inotify.max_user_watches=64`');
    expect(stderr).toContain('`synclog snapshot DIR --every 1h`');
    expect(stderr.split('\n').filter((line) => line.includes('out of inotify watches while watching'))).toHaveLength(1);
  });
});

describe('synclog watch --exec', () => {
  it('runs the program per selected change, the name as data (no shell), never holding up recording', { timeout: 120_000 }, async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    const hook = join(work, 'record-hook');
    await writeFile(
      hook,
      `#!${process.execPath}\nconst fs = require('node:fs');\nlet input = '';\nprocess.stdin.on('data', (d) => (input += d));\nprocess.stdin.on('end', () => fs.appendFileSync(process.argv[2] ?? ${JSON.stringify(join(work, 'seen.jsonl'))}, JSON.stringify({ event: process.env.SYNCLOG_EVENT, env: process.env.SYNCLOG_PATH, stdin: JSON.parse(input).change.path }) + '\\n'));\n`,
    );
    await chmod(hook, 0o755);
    const watch = spawnCli(['watch', join(work, 'docs'), '--log', join(work, 'log'), '--exec', hook, '--exec', '/bin/false', '--exec-events', 'created', '--exec-paths', 'docs/*.txt']);
    const hostile = `x; touch pwned $(touch pwned2) \`touch pwned3\` 'q" | y & > z.txt`;
    let code: number | null;
    try {
      await waitForLine(watch, /^ready: /, 60_000);
      await writeFile(join(work, 'docs', hostile), 'hostile\n');
      await writeFile(join(work, 'docs', 'skip.md'), 'not a .txt: filtered out\n');
      await waitForLine(watch, /^created .*skip\.md/, 60_000);
      await waitFor(async () => (await readFile(join(work, 'seen.jsonl'), 'utf8').catch(() => '')).includes('\n'), 'the hook run', 60_000, 100);
      await writeFile(join(work, 'docs', hostile), 'changed\n'); // modified: not selected
      await waitForLine(watch, /^modified /, 60_000);
    } finally {
      watch.kill('SIGTERM');
      code = await exited(watch);
    }
    expect(code).toBe(0);
    const seen = (await readFile(join(work, 'seen.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(seen).toEqual([{ event: 'created', env: hostile, stdin: hostile }]);
    expect((await readdir(work)).filter((n) => n.startsWith('pwned'))).toEqual([]);
    expect((await readdir(join(work, 'docs'))).filter((n) => n.startsWith('pwned'))).toEqual([]);
  });

  it('refuses an unknown --exec-events kind, and --exec-events without --exec', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    const bad = await runCli(['watch', join(work, 'docs'), '--log', join(work, 'log'), '--exec', '/bin/true', '--exec-events', 'created,changed']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--exec-events: unknown event kind "changed"');
    const alone = await runCli(['watch', join(work, 'docs'), '--log', join(work, 'log'), '--exec-events', 'created']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--exec-events and --exec-paths go with --exec');
  });
});
