// `synclog receive` as a user runs it: logs recorded by `synclog snapshot` (the watcher's CLI) and by the store API,
// received with --once in both modes and compared byte for byte with the source; following until SIGTERM; an
// empty log; a mode mismatch.
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

async function makeSource(dir: string): Promise<void> {
  await mkdir(join(dir, 'sub/deeper'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'a.txt'), 'alpha\n');
  await writeFile(join(dir, 'sub/b.bin'), Buffer.alloc(300_000, 7));
  await writeFile(join(dir, 'sub/deeper/c.sh'), 'echo c\n', { mode: 0o755 });
  await symlink('sub/b.bin', join(dir, 'link-b'));
}

async function waitForOutput(find: () => string | undefined, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting for output');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function snapshot(source: string, logDir: string): Promise<void> {
  const result = await runCli(['snapshot', source, '--log', logDir, '--json']);
  expect(result.code, result.stderr).toBe(0);
}

describe('synclog receive', () => {
  it('--once on an empty log exits 0 and writes nothing but the cursor', async () => {
    const work = await makeTmpDir();
    const logDir = join(work, 'log');
    const store = await openStore(logDir, { workers: 0 });
    await store.close();
    const dest = join(work, 'dest');
    const result = await runCli(['receive', '--log', logDir, '--out', dest, '--once', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, changes: 0, nextSeq: 0, mode: 'latest' });
    expect(await readdir(dest)).toEqual(['.synclog-receiver']);
    expect(await readdir(join(dest, '.synclog-receiver'))).toEqual(['cursor.json']);
  });

  for (const mode of ['latest', 'all-versions'] as const) {
    it(`--once --mode ${mode} mirrors what synclog snapshot recorded, through a series of changes`, async () => {
      const work = await makeTmpDir();
      const source = join(work, 'src', 'proj');
      const logDir = join(work, 'log');
      const dest = join(work, 'dest');
      await mkdir(source, { recursive: true });
      await makeSource(source);
      await snapshot(source, logDir);
      const first = await runCli(['receive', '--log', logDir, '--out', dest, '--mode', mode, '--once', '--json']);
      expect(first.code, first.stderr).toBe(0);
      expect(await snapshotTree(join(dest, 'proj'))).toEqual(await snapshotTree(source));
      // create, modify, delete, rename, move, empty dir, symlink
      await writeFile(join(source, 'new.txt'), 'new');
      await writeFile(join(source, 'a.txt'), 'alpha, modified\n');
      await rm(join(source, 'sub/deeper/c.sh'));
      await rename(join(source, 'sub/b.bin'), join(source, 'b-renamed.bin'));
      await rename(join(source, 'sub/deeper'), join(source, 'empty/deeper-moved'));
      await mkdir(join(source, 'another-empty'));
      await rm(join(source, 'link-b'));
      await symlink('b-renamed.bin', join(source, 'link-b'));
      await snapshot(source, logDir);
      const second = await runCli(['receive', '--log', logDir, '--out', dest, '--mode', mode, '--once']);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/^received: \d+ changes/);
      expect(await snapshotTree(join(dest, 'proj'))).toEqual(await snapshotTree(source));
      if (mode === 'all-versions') {
        expect((await readdir(join(dest, '.versions/proj/a.txt'))).length).toBe(2);
        expect((await readdir(join(dest, '.versions/proj/sub/deeper/c.sh'))).some((n) => n.endsWith('.deleted'))).toBe(true);
      }
    });
  }

  it('receive summary on SIGINT: prints what was applied and where the cursor stands, exit 0', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'proj');
    const logDir = join(work, 'log');
    const dest = join(work, 'dest');
    await mkdir(source);
    await writeFile(join(source, 'one.txt'), '1');
    await snapshot(source, logDir);
    const child = spawnCli(['receive', '--log', logDir, '--out', dest]);
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitForOutput(() => (stdout.includes('caught up:') ? 'yes' : undefined));
    await writeFile(join(source, 'two.txt'), '22');
    await snapshot(source, logDir);
    await waitForOutput(() => (stdout.includes('proj/two.txt') ? 'yes' : undefined));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const cursor = JSON.parse(await readFile(join(dest, '.synclog-receiver/cursor.json'), 'utf8')) as { nextSeq: number };
    // Both files (one caught up, one followed) are in the summary, with the saved cursor.
    expect(stdout).toMatch(new RegExp(`stopped: \\d+ changes \\(2 files, .*\\(next record ${cursor.nextSeq}\\); cursor saved`));
  });

  it('follows until SIGTERM, printing one JSON line per change, and exits 0 with the cursor saved', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'proj');
    const logDir = join(work, 'log');
    const dest = join(work, 'dest');
    await mkdir(source);
    await writeFile(join(source, 'one.txt'), '1');
    await snapshot(source, logDir);
    const child = spawnCli(['receive', '--log', logDir, '--out', dest, '--json']);
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitForOutput(() => (stdout.includes('"event":"caught-up"') ? 'yes' : undefined));
    expect(stdout).toContain('"display":"proj/one.txt"');
    await writeFile(join(source, 'two.txt'), '22');
    await snapshot(source, logDir);
    // The change may be printed while `snapshot` is still running: look in everything printed so far.
    const line = await waitForOutput(() => stdout.split('\n').find((l) => l.includes('"display":"proj/two.txt"')));
    expect(JSON.parse(line)).toMatchObject({ event: 'applied', action: 'write', bytes: 2 });
    expect(await readFile(join(dest, 'proj/two.txt'), 'utf8')).toBe('22');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('"event":"stopped"');
    const cursor = JSON.parse(await readFile(join(dest, '.synclog-receiver/cursor.json'), 'utf8')) as { nextSeq: number; reservedUntilSeq: number };
    expect(cursor.nextSeq).toBeGreaterThan(0);
    expect(cursor.reservedUntilSeq).toBe(cursor.nextSeq);
    expect(await readdir(join(dest, '.synclog-receiver'))).toEqual(['cursor.json']);
  });

  it('mirrors a folder live with synclog watch and synclog receive running together', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'live');
    const logDir = join(work, 'log');
    const dest = join(work, 'dest');
    await mkdir(source);
    await makeSource(source);
    const watch = spawnCli(['watch', source, '--log', logDir, '--json']);
    await waitForLine(watch, /"event":"ready"/); // the log exists once the watcher is ready
    const receive = spawnCli(['receive', '--log', logDir, '--out', dest, '--mode', 'all-versions']);
    const closed = [watch, receive].map((child) => new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code))));
    try {
      const mirrors = async () => JSON.stringify(await snapshotTree(join(dest, 'live')).catch(() => ({}))) === JSON.stringify(await snapshotTree(source));
      const settle = async () => {
        for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) if (await mirrors()) return true;
        return false;
      };
      expect(await settle()).toBe(true);
      await writeFile(join(source, 'a.txt'), 'alpha, live edit\n');
      await rename(join(source, 'sub/b.bin'), join(source, 'b-moved.bin'));
      await rm(join(source, 'sub/deeper'), { recursive: true });
      await mkdir(join(source, 'fresh-empty'));
      await symlink('b-moved.bin', join(source, 'link-moved'));
      expect(await settle()).toBe(true);
    } finally {
      watch.kill('SIGTERM');
      receive.kill('SIGTERM');
    }
    expect(await Promise.all(closed)).toEqual([0, 0]);
  });

  it('refuses another mode on the same destination (exit 2), a missing log (exit 1), a destination inside the log (exit 2)', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'proj');
    await mkdir(source);
    await writeFile(join(source, 'x'), 'x');
    await snapshot(source, join(work, 'log'));
    expect((await runCli(['receive', '--log', join(work, 'log'), '--out', join(work, 'dest'), '--once'])).code).toBe(0);
    const mismatch = await runCli(['receive', '--log', join(work, 'log'), '--out', join(work, 'dest'), '--once', '--mode', 'all-versions']);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain("received in mode 'latest'");
    const missing = await runCli(['receive', '--log', join(work, 'nope'), '--out', join(work, 'dest2'), '--once']);
    expect(missing.code).toBe(1);
    const insideLog = await runCli(['receive', '--log', join(work, 'log'), '--out', join(work, 'log', 'mirror'), '--once']);
    expect(insideLog.code).toBe(2);
    expect(insideLog.stderr).toContain('inside the log');
  });
});
