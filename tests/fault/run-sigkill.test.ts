// Fault model: `synclog run` is killed with SIGKILL (no stop, no flush) at a random moment of a burst of writes,
// three rounds. What must survive: the log opens again (a torn tail is cut, never a mid-log error), every version
// the killed process acknowledged (a JSON 'version' line: said only once durable) is in it, `status` flags the
// service that died without a clean stop (exit 1), and the next start's scan records what the killed one had not,
// so the mirror ends with every file of every round.
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForStderrLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

/** These tests start several processes: on a loaded 2-core machine (load 20+) they need more than the default. */
const SLOW_TEST_MS = 240_000;
/** How long to keep looking for a line or a file (an upper bound, not a timing assertion). */
const WAIT_MS = 120_000;

const ROUNDS = 3;
const FILES_PER_ROUND = 40;

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.on('close', (code) => resolve(code))));
}

describe('synclog run killed with SIGKILL', { timeout: SLOW_TEST_MS }, () => {
  it(`keeps everything acknowledged and catches up on restart (${ROUNDS} rounds)`, async () => {
    const work = await makeTmpDir();
    const config = join(work, 'k.toml');
    await mkdir(join(work, 'docs'));
    await writeFile(config, 'log = "log"\n[[folders]]\npath = "docs"\n');
    const all: string[] = [];
    const acknowledged = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const run = spawnCli(['run', '--config', config, '--log-format', 'json']);
      let buffer = '';
      run.stderr!.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) {
          const event = line.startsWith('{') ? (JSON.parse(line) as { event?: string; change?: { path: string } }) : undefined;
          if (event?.event === 'version' && event.change) acknowledged.add(event.change.path);
        }
      });
      await waitForStderrLine(run, /"event":"ready","message":"ready/, WAIT_MS);
      const killAt = Math.floor(Math.random() * FILES_PER_ROUND);
      for (let i = 0; i < FILES_PER_ROUND; i++) {
        const name = `r${round}-${String(i).padStart(2, '0')}.txt`;
        all.push(name);
        await writeFile(join(work, 'docs', name), `round ${round} file ${i}\n`);
        if (i === killAt) run.kill('SIGKILL');
      }
      await exited(run);
      const status = await runCli(['status', '--config', config, '--json']);
      expect(status.code).toBe(1);
      expect(JSON.parse(status.stdout).attention).toEqual([expect.stringMatching(/is gone without a clean stop/)]);
      const out = join(work, `out-${round}`);
      const received = await runCli(['receive', '--log', join(work, 'log'), '--out', out, '--once']);
      expect(received.code, received.stderr).toBe(0);
      for (const path of acknowledged) expect(await readFile(join(out, 'docs', path), 'utf8')).toMatch(/^round \d+ file \d+\n$/);
    }
    const last = spawnCli(['run', '--config', config]);
    await waitForStderrLine(last, /^run: ready: /, WAIT_MS);
    last.kill('SIGTERM');
    expect(await exited(last)).toBe(0);
    expect((await runCli(['verify', '--log', join(work, 'log')])).code).toBe(0);
    const out = join(work, 'out-final');
    expect((await runCli(['receive', '--log', join(work, 'log'), '--out', out, '--once'])).code).toBe(0);
    expect((await readdir(join(out, 'docs'))).sort()).toEqual(all.sort());
    expect((await runCli(['status', '--config', config])).code).toBe(0);
  });
});
