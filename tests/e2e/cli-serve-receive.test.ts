// Across the network through the CLI, as a user runs it: `synclog watch` records a folder, `synclog serve` serves
// the log with a token, `synclog receive --from URL` mirrors it (--once, then following live edits), trees compared
// byte for byte; the server refuses a public address without token and TLS; a wrong token is exit 1 with no data.
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';
import { procStatFields } from '../../src/util/proc-stat.js';

const TOKEN = 'e2e-token-abcdef0123456789';

/** True once `dest/live` holds exactly the tree at `source` (missing counts as different). */
async function mirrors(dest: string, source: string): Promise<boolean> {
  return JSON.stringify(await snapshotTree(join(dest, 'live')).catch(() => ({}))) === JSON.stringify(await snapshotTree(source));
}

async function makeSource(dir: string): Promise<void> {
  await mkdir(join(dir, 'sub/deeper'), { recursive: true });
  await writeFile(join(dir, 'a.txt'), 'alpha\n');
  await writeFile(join(dir, 'sub/b.bin'), Buffer.alloc(300_000, 7));
  await writeFile(join(dir, 'sub/deeper/c.sh'), 'echo c\n', { mode: 0o755 });
  await symlink('sub/b.bin', join(dir, 'link-b'));
}

describe('synclog serve + receive --from', () => {
  it('watch on one side, serve, receive --from on the other: the trees match byte for byte, live too', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'live');
    const logDir = join(work, 'log');
    const dest = join(work, 'dest');
    const tokens = join(work, 'tokens');
    await writeFile(tokens, `# readers\nread:${TOKEN}\n`);
    await mkdir(source);
    await makeSource(source);
    const watch = spawnCli(['watch', source, '--log', logDir, '--json']);
    await waitForLine(watch, /"event":"ready"/);
    const serve = spawnCli(['serve', '--log', logDir, '--listen', '127.0.0.1:0', '--token-file', tokens]);
    const children = [watch, serve];
    try {
      const url = /on (http:\/\/\S+)/.exec(await waitForLine(serve, /^serving /))![1]!;
      const receiveOnce = async () => {
        const result = await runCli(['receive', '--from', url, '--out', dest, '--once', '--token-file', tokens, '--json']);
        expect(result.code, result.stderr).toBe(0);
        return mirrors(dest, source);
      };
      await waitFor(receiveOnce, 'receive --once to mirror the source', 30_000, 100);
      // No token, or a wrong one: refused, and nothing is written.
      const noToken = await runCli(['receive', '--from', url, '--out', join(work, 'nothing'), '--once']);
      expect(noToken.code).toBe(1);
      expect(noToken.stderr).toMatch(/token/);
      const wrong = await runCli(['receive', '--from', url, '--out', join(work, 'nothing'), '--once'], { env: { SYNCLOG_TOKEN: 'wrong-token-0000000000000000' } });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).not.toContain('wrong-token-0000000000000000');
      expect(await readdir(join(work, 'nothing')).catch(() => [])).not.toContain('live');
      // Following: live edits arrive.
      const receive = spawnCli(['receive', '--from', url, '--out', dest], { env: { SYNCLOG_TOKEN: `read:${TOKEN}` } });
      children.push(receive);
      await waitForLine(receive, /^caught up/);
      await writeFile(join(source, 'a.txt'), 'alpha, live edit\n');
      await rename(join(source, 'sub/b.bin'), join(source, 'b-moved.bin'));
      await rm(join(source, 'sub/deeper'), { recursive: true });
      await symlink('b-moved.bin', join(source, 'link-moved'));
      await waitFor(() => mirrors(dest, source), 'the follower to mirror the live edits', 30_000, 100);
    } finally {
      for (const child of children) child.kill('SIGTERM');
    }
    expect(await Promise.all(children.map(exited))).toEqual([0, 0, 0]);
  });

  it('serve --watch: one process records the folder and serves it; a follower mirrors it, live edits too', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'live');
    const logDir = join(work, 'log');
    const dest = join(work, 'dest');
    await mkdir(source);
    await makeSource(source);
    const serve = spawnCli(['serve', '--log', logDir, '--listen', '127.0.0.1:0', '--watch', source]);
    const children = [serve];
    try {
      const url = /on (http:\/\/\S+) while watching/.exec(await waitForLine(serve, /^serving /))![1]!;
      const receive = spawnCli(['receive', '--from', url, '--out', dest]);
      children.push(receive);
      await waitForLine(receive, /^caught up/);
      await waitFor(() => mirrors(dest, source), 'the follower to mirror the served folder', 30_000, 100);
      await writeFile(join(source, 'a.txt'), 'alpha, edited while served\n');
      await writeFile(join(source, 'new.txt'), 'new\n');
      await waitFor(() => mirrors(dest, source), 'the follower to mirror the edits', 30_000, 100);
    } finally {
      for (const child of children) child.kill('SIGTERM');
    }
    expect(await Promise.all(children.map(exited))).toEqual([0, 0]);
  });

  it('refuses a non-loopback address without token and TLS (exit 2), before listening', async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'd'));
    await writeFile(join(work, 'd', 'x'), 'x');
    expect((await runCli(['snapshot', join(work, 'd'), '--log', join(work, 'log')])).code).toBe(0);
    const result = await runCli(['serve', '--log', join(work, 'log'), '--listen', '0.0.0.0:0'], { env: { SYNCLOG_TOKEN: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing to serve on 0\.0\.0\.0.*no token.*no TLS/);
    expect(result.stderr).toContain('--insecure-public');
  });

  it('replicate --once makes a replica that says how far behind it is, refuses other writers, and can be received from', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'proj');
    await mkdir(source);
    await makeSource(source);
    expect((await runCli(['snapshot', source, '--log', join(work, 'log')])).code).toBe(0);
    const serve = spawnCli(['serve', '--log', join(work, 'log'), '--listen', '127.0.0.1:0']);
    try {
      const url = /on (http:\/\/\S+)/.exec(await waitForLine(serve, /^serving /))![1]!;
      const replica = join(work, 'replica');
      const first = await runCli(['replicate', '--from', url, '--log', replica, '--once']);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^replicated: \d+ records appended; replica at seq (\d+), source at \1 \(up to date\)/);
      const again = await runCli(['replicate', '--from', url, '--log', replica, '--once', '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ event: 'replicated', appended: 0 });
      const refused = await runCli(['snapshot', source, '--log', replica]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('is a replica of');
      const received = await runCli(['receive', '--log', replica, '--out', join(work, 'dest'), '--once']);
      expect(received.code, received.stderr).toBe(0);
      expect(await snapshotTree(join(work, 'dest', 'proj'))).toEqual(await snapshotTree(source));
    } finally {
      serve.kill('SIGTERM');
    }
  });
  it('serves at low CPU priority when it only reads, at normal priority when it writes or is told to', async () => {
    const work = await makeTmpDir();
    const logDir = join(work, 'log');
    const source = join(work, 'src');
    await mkdir(source);
    await writeFile(join(source, 'a.txt'), 'a\n');
    expect((await runCli(['snapshot', source, '--log', logDir])).code).toBe(0);
    /** The nice value of a running process: field 19 of /proc/PID/stat (Linux). */
    const niceOf = async (pid: number) => Number(procStatFields(await readFile(`/proc/${pid}/stat`, 'utf8'))?.[16]);
    const own = getPriority(); // 0 unless the tests themselves run under nice
    const cases: [string[], number, string][] = [
      [[], Math.max(10, own), 'low'],
      [['--priority', 'normal'], own, 'normal'],
      [['--watch', source], own, 'normal'],
    ];
    for (const [extra, nice, priority] of cases) {
      const serve = spawnCli(['serve', '--log', logDir, '--listen', '127.0.0.1:0', '--json', ...extra]);
      try {
        const line = await waitForLine(serve, /"event":"listening"/);
        expect(JSON.parse(line).priority).toBe(priority);
        expect(await niceOf(serve.pid!)).toBe(nice);
      } finally {
        serve.kill('SIGTERM');
        await exited(serve);
      }
    }
    const bad = await runCli(['serve', '--log', logDir, '--listen', '127.0.0.1:0', '--priority', 'high']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--priority/);
  });
});
