// `synclog status` over a service's status file: a local receiver's lag is what the log holds past the receiver's
// applied seq, not only what the service's own watchers recorded (a service that takes pushes records nothing
// itself, so its receivers always read 0 behind before; the status file is written here as such a service writes
// it). A push server the service has never reached is listed with everything queued (it was "never pushed", no age).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { exited, runCli, spawnCli, waitForStderrLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('synclog status', () => {
  it("counts a local receiver's lag from the log: every version past its applied seq", async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    for (const name of ['a.txt', 'b.txt', 'c.txt']) await writeFile(join(work, 'docs', name), name);
    const snap = await runCli(['snapshot', join(work, 'docs'), '--log', join(work, 'log')]);
    expect(snap.code, snap.stderr).toBe(0);
    const now = Date.now();
    const receiver = (appliedSeq: number) => ({ kind: 'receiver', name: join(work, 'mirror'), state: 'running', appliedSeq, lagVersions: 0 });
    const statusFile = (appliedSeq: number) => ({
      v: 1, pid: process.pid, config: join(work, 'synclog.toml'), log: join(work, 'log'), state: 'running', startedMs: now, updatedMs: now,
      lastDurable: undefined, components: [receiver(appliedSeq), { kind: 'receiver', name: join(work, 'remote'), state: 'running', appliedSeq: 5 }], hooks: [], errors: [],
    });
    await writeFile(join(work, 'log.status.json'), JSON.stringify(statusFile(0)));
    const behind = await runCli(['status', '--log', join(work, 'log'), '--json']);
    const components = (JSON.parse(behind.stdout) as { service: { components: { name: string; lagVersions?: number; oldestUnappliedMs?: number }[] } }).service.components;
    expect(components[0]).toMatchObject({ lagVersions: 3, oldestUnappliedMs: expect.any(Number) });
    expect(components[1]!.lagVersions).toBeUndefined(); // a receiver from a server: its own report
    expect((await runCli(['status', '--log', join(work, 'log')])).stdout).toContain(`receiver ${join(work, 'mirror')}: running 3 versions behind`);
    // Applied up to the end: nothing behind.
    const history = JSON.parse((await runCli(['log', '--log', join(work, 'log'), '--json'])).stdout) as { seq: number }[] | { versions: { seq: number }[] };
    const seqs = (Array.isArray(history) ? history : history.versions).map((v) => v.seq);
    await writeFile(join(work, 'log.status.json'), JSON.stringify(statusFile(Math.max(...seqs) + 1)));
    const caughtUp = await runCli(['status', '--log', join(work, 'log'), '--json']);
    expect((JSON.parse(caughtUp.stdout) as { service: { components: { lagVersions?: number }[] } }).service.components[0]!.lagVersions).toBe(0);
  });

  it('lists a configured push server never reached, with the whole log queued and its age', { timeout: 120_000 }, async () => {
    const work = await makeTmpDir();
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'docs', 'a.txt'), 'a');
    // A port that was free a moment ago: nothing answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const url = `http://127.0.0.1:${port}/`;
    await writeFile(join(work, 'p.toml'), `log = "log"\n[[folders]]\npath = "docs"\n[[push]]\nto = "${url}"\n`);
    const run = spawnCli(['run', '--config', join(work, 'p.toml')]);
    try {
      await waitForStderrLine(run, /^push: warn: .* unreachable/, 60_000);
    } finally {
      run.kill('SIGTERM');
      expect(await exited(run)).toBe(0);
    }
    const status = await runCli(['status', '--config', join(work, 'p.toml'), '--json']);
    const rows = (JSON.parse(status.stdout) as { pushTargets: { url: string; queuedRecords: number; oldestQueuedMs?: number; lastAckMs?: number }[] }).pushTargets;
    expect(rows).toEqual([expect.objectContaining({ url, oldestQueuedMs: expect.any(Number) })]);
    expect(rows[0]!.queuedRecords).toBeGreaterThan(0);
    expect(rows[0]!.lastAckMs).toBeUndefined();
    expect((await runCli(['status', '--config', join(work, 'p.toml')])).stdout).toMatch(new RegExp(`→ ${url.replace(/[.]/g, '\\.')}: \\d+ records \\(.*\\) queued, oldest change \\d+ s old; never acknowledged anything`));
  });
});
