// Fault model: the push server (`synclog serve --accept-push --out`, a child process) is killed with SIGKILL at a
// random moment while a following pusher (`synclog push`, a child process) ships a large client log to it; while it
// is down the client folder changes and the client log records the changes (the outbox grows); it is restarted on the
// same port a little later. What must survive: every record the server acknowledged (the pusher's cursor moves only
// after that), no record twice (the origin high-water mark the server derives from its log on restart), the client's
// order, and the server's --out tree (its receiver resumes from its cursor). SYNCLOG_PUSH_SERVER_KILLS rounds
// (default 3; stress/push-kill runs 30+).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectPushedExactlyOnce, GrowingTree } from '../helpers/push-tree.js';
import { spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const ROUNDS = Number(process.env.SYNCLOG_PUSH_SERVER_KILLS ?? 3);

async function startServer(serverLog: string, out: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnCli(['serve', '--log', serverLog, '--listen', `127.0.0.1:${port}`, '--accept-push', '--out', out, '--json']);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exitedEarly = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`))));
  const line = await Promise.race([waitForLine(child, /"event":"listening"/, 60_000), exitedEarly]);
  exitedEarly.catch(() => {});
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

describe('fault: SIGKILL of the push server mid-push', () => {
  it(`${ROUNDS} kills, changes made while it is down: the server log holds every client version once, in order, and its tree equals the folder`, async () => {
    const base = await makeTmpDir('synclog-push-server-kill-');
    const tree = new GrowingTree(join(base, 'src'), join(base, 'client-log'));
    await tree.grow(400); // ~12 MB: the first kills land in the initial push
    const serverLog = join(base, 'server-log');
    const out = join(base, 'out');
    let server = await startServer(serverLog, out, 0);
    const port = Number(new URL(server.url).port);
    const pusher = spawnCli(['push', '--log', tree.logDir, '--to', server.url]);
    let pusherOutput = '';
    pusher.stdout!.on('data', (d: Buffer) => (pusherOutput += d.toString()));
    pusher.stderr!.on('data', (d: Buffer) => (pusherOutput += d.toString()));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 1500));
        await stopped(server.child, 'SIGKILL');
        await tree.grow(40 + Math.floor(Math.random() * 40)); // the outbox grows while the server is away
        server = await startServer(serverLog, out, port);
      }
      const mirrored = async () => {
        if (pusher.exitCode !== null) throw new Error(`the pusher exited (${pusher.exitCode}): ${pusherOutput.slice(-3000)}`);
        return JSON.stringify(await snapshotTree(join(out, 'src')).catch(() => ({}))) === JSON.stringify(await snapshotTree(tree.sourceDir));
      };
      await waitFor(mirrored, "the server's tree to equal the client's folder", 180_000, 250, () => pusherOutput.slice(-2000));
      expect(pusher.exitCode, pusherOutput).toBeNull(); // the pusher rode out every kill
    } finally {
      await stopped(pusher, 'SIGTERM');
      await stopped(server.child, 'SIGTERM');
    }
    expect(pusherOutput).toMatch(/unreachable|away/);
    await expectPushedExactlyOnce(tree.logDir, serverLog, { out: join(out, 'src'), sourceDir: tree.sourceDir });
  }, 120_000 + ROUNDS * 30_000);
});
