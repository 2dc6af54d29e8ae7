// Pushing through the CLI, as a user runs it: `synclog serve --accept-push --out` on one side, `synclog watch DIR
// --to URL` on the other; the server's tree equals the client's folder byte for byte, live edits too; a copy of a
// file under a new name and an unchanged large file cost no content bytes (the server's own counters); a read-scoped
// or unknown token cannot push; `synclog status` shows the queue while the server is stopped, and the watcher
// catches up once it is back.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes } from '../helpers/net-fixture.js';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const READ = 'read-e2e-token-0123456789';
const PUSH = 'push-e2e-token-0123456789';

interface PushStatsLine {
  chunkBytesReceived: number;
  recordsAppended: number;
}

/** The latest `pushed` event's stats a `serve --json` child printed. */
function trackStats(child: ChildProcess): () => PushStatsLine | undefined {
  let last: PushStatsLine | undefined;
  let buffer = '';
  child.stdout!.on('data', (data: Buffer) => {
    buffer += data.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (line.includes('"event":"pushed"')) last = (JSON.parse(line) as { stats: PushStatsLine }).stats;
  });
  return () => last;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (code) => resolve(code))));
}

async function startServer(serverLog: string, out: string, tokens: string, port = 0) {
  const serve = spawnCli(['serve', '--log', serverLog, '--listen', `127.0.0.1:${port}`, '--token-file', tokens, '--accept-push', '--out', out, '--json']);
  const stats = trackStats(serve);
  const url = (JSON.parse(await waitForLine(serve, /"event":"listening"/)) as { url: string }).url;
  return { serve, stats, url };
}

describe('synclog watch --to + serve --accept-push --out', () => {
  it('mirrors the folder on the server; copies and unchanged files cost no content bytes; the server away is caught up', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'docs');
    const clientLog = join(work, 'client-log');
    const serverLog = join(work, 'server-log');
    const out = join(work, 'out');
    const tokens = join(work, 'tokens');
    const clientToken = join(work, 'client-token');
    const readToken = join(work, 'read-token');
    await writeFile(tokens, `read:${READ}\npush:${PUSH}\n`);
    await writeFile(clientToken, `push:${PUSH}\n`);
    await writeFile(readToken, `read:${READ}\n`);
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'a.txt'), 'alpha\n');
    await writeFile(join(source, 'sub', 'big.bin'), bytes(3_000_000, 5));
    let server = await startServer(serverLog, out, tokens);
    const port = new URL(server.url).port;
    const watch = spawnCli(['watch', source, '--log', clientLog, '--to', server.url, '--token-file', clientToken, '--debounce', '50']);
    try {
      const mirrors = async () => JSON.stringify(await snapshotTree(join(out, 'docs')).catch(() => ({}))) === JSON.stringify(await snapshotTree(source));
      await waitFor(mirrors, 'the server tree to equal the folder', 60_000, 100);
      const afterFirst = server.stats()!.chunkBytesReceived;
      expect(afterFirst).toBeGreaterThan(3_000_000 * 0.9);

      // The same content under a new name, and an edit of a small file: no big content goes over the wire again.
      await copyFile(join(source, 'sub', 'big.bin'), join(source, 'big-copy.bin'));
      await writeFile(join(source, 'a.txt'), 'alpha two\n');
      await waitFor(mirrors, 'the copy and the edit on the server', 60_000, 100);
      expect(server.stats()!.chunkBytesReceived - afterFirst).toBeLessThan(4096);

      // A read-scoped token, and an unknown one, cannot push.
      const readPush = await runCli(['push', '--log', clientLog, '--to', server.url, '--token-file', readToken, '--once']);
      expect(readPush.code).toBe(1);
      expect(readPush.stderr).toMatch(/push scope/);
      await writeFile(join(work, 'bad-token'), 'push:not-a-known-token-000000\n');
      const unknown = await runCli(['push', '--log', clientLog, '--to', server.url, '--token-file', join(work, 'bad-token'), '--once']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/unknown token/);

      // The server stops; changes meanwhile queue in the client's log (status shows them), then catch up.
      server.serve.kill('SIGTERM');
      expect(await exited(server.serve)).toBe(0);
      await writeFile(join(source, 'while-away.txt'), 'queued\n');
      await writeFile(join(source, 'sub', 'second.bin'), bytes(200_000, 9));
      await waitFor(async () => {
        const status = await runCli(['status', '--log', clientLog, '--json']);
        const row = (JSON.parse(status.stdout) as { pushTargets: { queuedRecords: number }[] }).pushTargets[0];
        return row && row.queuedRecords >= 2;
      }, 'status to show the queued changes', 30_000, 200);
      server = await startServer(serverLog, out, tokens, Number(port));
      await waitFor(mirrors, 'the changes made while the server was away', 90_000, 100);
      await waitFor(async () => (JSON.parse((await runCli(['status', '--log', clientLog, '--json'])).stdout) as { pushTargets: { queuedRecords: number }[] }).pushTargets[0]!.queuedRecords === 0, 'an empty queue', 30_000, 200);
    } finally {
      watch.kill('SIGTERM');
      await exited(watch);
      server.serve.kill('SIGTERM');
      await exited(server.serve);
    }
  }, 240_000);

  it('a watcher whose pushes the server refuses for good (a root another client owns) says so at once and exits 1 on stop', async () => {
    const work = await makeTmpDir();
    const tokens = join(work, 'tokens');
    await writeFile(tokens, `push:${PUSH}\n`);
    const first = join(work, 'one', 'docs');
    const second = join(work, 'two', 'docs');
    for (const dir of [first, second]) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'a.txt'), `${dir}\n`);
    }
    const server = await startServer(join(work, 'server-log'), join(work, 'out'), tokens);
    try {
      expect((await runCli(['snapshot', first, '--log', join(work, 'log-one')])).code).toBe(0);
      expect((await runCli(['push', '--log', join(work, 'log-one'), '--to', server.url, '--token-file', tokens, '--once'])).code).toBe(0);
      // Another client's folder of the same name: its root "docs" is owned by the first client's log. The refusal
      // comes while the watcher is idle (no record after the scan): it must still be said then, not at the stop.
      const watch = spawnCli(['watch', second, '--log', join(work, 'log-two'), '--to', server.url, '--token-file', tokens, '--debounce', '50']);
      let output = '';
      watch.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      watch.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      await waitFor(() => /pushing to .* stopped/.test(output), 'the watcher to say pushing stopped', 60_000, 100, () => output);
      expect(output).toMatch(/--as/);
      watch.kill('SIGTERM');
      expect(await exited(watch)).toBe(1);
    } finally {
      server.serve.kill('SIGTERM');
      await exited(server.serve);
    }
  }, 120_000);
  it('an edit of a large file is pushed as a delta and the server\'s --out tree follows it', async () => {
    const work = await makeTmpDir();
    const tokens = join(work, 'tokens');
    await writeFile(tokens, `push:${PUSH}\n`);
    const source = join(work, 'docs');
    await mkdir(source, { recursive: true });
    const big = Buffer.from(bytes(6_000_000, 11));
    await writeFile(join(source, 'big.bin'), big);
    const clientLog = join(work, 'client-log');
    const out = join(work, 'out');
    const server = await startServer(join(work, 'server-log'), out, tokens);
    try {
      const pushOnce = async () => {
        expect((await runCli(['snapshot', source, '--log', clientLog])).code).toBe(0);
        const pushed = await runCli(['push', '--log', clientLog, '--to', server.url, '--token-file', tokens, '--once', '--json']);
        expect(pushed.code, pushed.stderr).toBe(0);
        await waitFor(async () => JSON.stringify(await snapshotTree(join(out, 'docs')).catch(() => ({}))) === JSON.stringify(await snapshotTree(source)), 'the server tree to equal the folder', 60_000, 100);
        return JSON.parse(pushed.stdout.trim().split('\n').at(-1)!) as { chunksHeld: number; chunksUploaded: number };
      };
      await pushOnce();
      big.fill(1, 3_000_000, 3_001_024);
      await writeFile(join(source, 'big.bin'), big);
      const edit = await pushOnce();
      expect(edit.chunksUploaded).toBeLessThanOrEqual(2);
      expect(edit.chunksHeld).toBeGreaterThanOrEqual(16);
    } finally {
      server.serve.kill('SIGTERM');
      await exited(server.serve);
    }
  }, 120_000);
});
