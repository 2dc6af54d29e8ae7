// Fault model: the clients are killed with SIGKILL at random moments while they catch up from a served log:
// `synclog receive --from` (cursor in DEST) and `synclog replicate` (a replica log, atomic groups included). Each
// restart resumes; after the last kill one more run finishes. What must survive: the destination is exactly the
// source tree, and the replica holds exactly the source's records (seq, tag, flags, payload).
// SYNCLOG_NET_CLIENT_KILLS kills of each (default 3).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, type LogEntry } from '../../src/log/index.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';
import { bytes, serve } from '../helpers/net-fixture.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const KILLS = Number(process.env.SYNCLOG_NET_CLIENT_KILLS ?? 3);

async function frames(dir: string): Promise<string[]> {
  const log = await Log.open(dir, { readOnly: true });
  const out: string[] = [];
  for await (const e of log.read({ withFrames: true }) as AsyncIterable<LogEntry>) out.push(`${e.seq}:${e.tag}:${e.frame![13]}:${Buffer.from(e.payload).toString('hex')}`);
  await log.close();
  return out;
}

/** Runs the CLI and kills it after `delayMs`; resolves true when the kill landed (it had not finished yet). */
function killAfter(args: string[], delayMs: number): Promise<boolean> {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore', env: { ...process.env, SYNCLOG_NO_PROGRESS: '1' } });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL');
    });
  });
}

describe('fault: SIGKILL of remote clients during catch-up', () => {
  it(`receive --from and replicate end exact after ${KILLS} kills each`, async () => {
    const base = await makeTmpDir('synclog-net-client-kill-');
    const sourceDir = join(base, 'src');
    for (let d = 0; d < 4; d++) await mkdir(join(sourceDir, `d${d}`), { recursive: true });
    for (let i = 0; i < 100; i++) await writeFile(join(sourceDir, `d${i % 4}`, `f${i}.bin`), bytes(3000 + ((i * 7919) % 50_000), i + 1));
    const logDir = join(base, 'log');
    const builder = await LogBuilder.open(logDir, sourceDir);
    await builder.recordAll();
    // Atomic groups in the middle of the history, as an import writes them.
    for (let g = 0; g < 5; g++) {
      const names = [0, 1, 2].map((k) => `d0/g${g}-${k}.txt`);
      for (const name of names) await writeFile(join(sourceDir, name), `group ${g} ${name}\n`.repeat(50));
      const versions = [];
      for (const name of names) versions.push((await builder.versionOf(name))!);
      await builder.store.appendAtomic(versions);
    }
    await builder.close();
    const server = await serve(logDir);
    const dest = join(base, 'dest');
    const replica = join(base, 'replica');
    try {
      // Kill moments are fractions of how long a whole run takes here and now (a loaded machine can be several times
      // slower than an idle one): a fixed delay either never landed or landed before anything was fetched.
      const wholeRun = async (args: string[]) => {
        const started = Date.now();
        const result = await runCli(args);
        expect(result.code, result.stderr).toBe(0);
        return Date.now() - started;
      };
      const [receiveMs, replicateMs] = await Promise.all([
        wholeRun(['receive', '--from', server.url, '--out', join(base, 'dest-timing'), '--once']),
        wholeRun(['replicate', '--from', server.url, '--log', join(base, 'replica-timing'), '--once']),
      ]);
      // A kill that comes after the run ended did not test a resume: the client's output is then complete and the
      // next run would be a no-op. Such a round starts over from an empty output with half the delay, until it lands
      // (bounded), so every round ends with a client killed mid-run and the test cannot pass without resuming.
      const landKill = async (client: 'receive' | 'replicate', out: string, wholeMs: number, kill: number): Promise<number> => {
        let delayMs = wholeMs * (kill === 0 ? 0.3 + Math.random() * 0.4 : 0.1 + Math.random() * 0.8);
        for (let attempt = 0; attempt < 8; attempt++) {
          const args = client === 'receive' ? ['receive', '--from', server.url, '--out', out, '--once'] : ['replicate', '--from', server.url, '--log', out, '--once'];
          if (await killAfter(args, delayMs)) return attempt;
          await rm(out, { recursive: true, force: true });
          delayMs /= 2;
        }
        throw new Error(`${client}: no kill landed mid-run in 8 attempts (last delay ${delayMs.toFixed(0)} ms of a ${wholeMs} ms run)`);
      };
      for (let kill = 0; kill < KILLS; kill++) {
        await Promise.all([landKill('receive', dest, receiveMs, kill), landKill('replicate', replica, replicateMs, kill)]);
      }
      const [received, replicated] = await Promise.all([
        runCli(['receive', '--from', server.url, '--out', dest, '--once']),
        runCli(['replicate', '--from', server.url, '--log', replica, '--once']),
      ]);
      expect(received.code, received.stderr).toBe(0);
      expect(replicated.code, replicated.stderr).toBe(0);
      expect(await snapshotTree(join(dest, 'src'))).toEqual(await snapshotTree(sourceDir));
      expect(await frames(replica)).toEqual(await frames(logDir));
    } finally {
      await server.close();
    }
  }, 180_000);
});
