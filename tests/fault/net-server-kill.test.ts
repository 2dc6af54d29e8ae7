// Fault model: the server (`synclog serve`, a child process) is killed with SIGKILL at a random moment while a
// remote receiver catches up, and restarted on the same port a little later. What must survive: the receiver
// retries (backoff) and resumes from its cursor and the records it verified, and every round ends with exactly the
// source tree (content, mode, mtime). SYNCLOG_NET_SERVER_KILLS rounds (default 3; stress/net-server-kill runs 30+).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRemoteSource } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';
import { bytes } from '../helpers/net-fixture.js';
import { CLI } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const ROUNDS = Number(process.env.SYNCLOG_NET_SERVER_KILLS ?? 3);

/** Starts `synclog serve` and resolves with it and its URL once it listens. */
function startServer(logDir: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--log', logDir, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const match = / on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('fault: SIGKILL of the server during a remote catch-up', () => {
  it(`every round (${ROUNDS}) ends with the exact tree`, async () => {
    const base = await makeTmpDir('synclog-net-kill-');
    const sourceDir = join(base, 'src');
    for (let d = 0; d < 8; d++) await mkdir(join(sourceDir, `d${d}`), { recursive: true });
    for (let i = 0; i < 120; i++) await writeFile(join(sourceDir, `d${i % 8}`, `f${i}.bin`), bytes(4000 + ((i * 7919) % 60_000), i + 1));
    const logDir = join(base, 'log');
    const builder = await LogBuilder.open(logDir, sourceDir);
    await builder.recordAll();
    await builder.close();
    const expected = await snapshotTree(sourceDir);

    let server = await startServer(logDir, 0);
    const port = Number(new URL(server.url).port);
    const url = server.url;
    let retries = 0;
    const receive = (out: string) =>
      new LogReceiver({ logPath: url, outputPath: out, source: { open: () => openRemoteSource(url, { onRetry: () => retries++ }) } }).catchUp();
    try {
      const started = performance.now();
      await receive(join(base, 'warm-up'));
      const cleanMs = performance.now() - started;
      // A round whose kill met no request of the catch-up tested nothing: it ended before the kill (a fast machine, a
      // warm cache), or had fetched everything and was only writing files. It is run again into a fresh folder with
      // half the delay, until the kill lands on the network part of a catch-up (the client retried; bounded).
      for (let round = 0; round < ROUNDS; round++) {
        let delayMs = cleanMs * (0.1 + 0.8 * Math.random());
        for (let attempt = 0; ; attempt++) {
          const out = join(base, `out-${round}-${attempt}`);
          const retriesBefore = retries;
          const catchingUp = receive(out);
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          await killed(server.child);
          await new Promise((resolve) => setTimeout(resolve, 100 + 200 * Math.random()));
          server = await startServer(logDir, port);
          await catchingUp;
          const landed = retries > retriesBefore;
          expect(await snapshotTree(join(out, 'src')), `round ${round}`).toEqual(expected);
          if (landed) break;
          expect(attempt, `round ${round}: no kill landed mid-catch-up (last delay ${delayMs.toFixed(0)} ms)`).toBeLessThan(8);
          delayMs /= 2;
        }
      }
      expect(retries).toBeGreaterThan(0);
    } finally {
      await killed(server.child);
    }
  }, 240_000);
});
