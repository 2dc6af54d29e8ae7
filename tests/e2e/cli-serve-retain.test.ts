// `synclog serve --accept-push --retain POLICY --retain-every D` through the CLI, with a client whose clock is far
// off (its versions say 2001, a day apart): the server judges what it pushed by when it received it, so keep-within=1d
// keeps everything (the client's clock would have dropped all but the newest), and keep-daily=5 keeps one per path per
// day of receipt (the client's clock would have kept all five). `synclog history` marks forgotten versions until a
// prune removes them; a bad --retain starts nothing (exit 2).
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { decodeRecord, RECORD_TAGS, type VersionRecord } from '../../src/record/index.js';
import { buildRetentionLog } from '../helpers/retention-log.js';
import { exited, runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const PUSH = 'push-token-retain-0123456789';
const DAY_MS = 86_400_000;

interface RetainedEvent {
  paths: number;
  kept: number;
  forgotten: number;
  prune: { versionsRemoved: number } | null;
}

async function serverVersions(dir: string): Promise<VersionRecord[]> {
  const log = await Log.open(dir, { readOnly: true });
  const out: VersionRecord[] = [];
  try {
    for await (const entry of log.read({ tags: [RECORD_TAGS.version] })) out.push(decodeRecord(entry.tag, entry.payload) as VersionRecord);
  } finally {
    await log.close();
  }
  return out;
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  return exited(child);
}

describe('synclog serve --retain', () => {
  it('keeps and forgets by the server receive time, not by a skewed client clock', { timeout: 180_000 }, async () => {
    const work = await makeTmpDir();
    const clientLog = join(work, 'client-log');
    const serverLog = join(work, 'server-log');
    const tokens = join(work, 'tokens');
    const clientToken = join(work, 'client-token');
    await writeFile(tokens, `push:${PUSH}\n`);
    await writeFile(clientToken, `push:${PUSH}\n`);
    const built = await buildRetentionLog(clientLog, { paths: 2, versions: 5, bytes: 4096, startMs: Date.UTC(2001, 0, 1), stepMs: DAY_MS });
    // By its own clock the client's log is 25 years old: keep-within 1d there would drop all but the newest of each path.
    const local = await runCli(['forget', '--log', clientLog, '--keep-within', '1d', '--dry-run', '--json']);
    expect((JSON.parse(local.stdout) as { forgotten: unknown[] }).forgotten.length).toBe(8);

    const serve = spawnCli(['serve', '--log', serverLog, '--listen', '127.0.0.1:0', '--token-file', tokens, '--accept-push', '--append-only', '--retain', 'keep-within=1d', '--retain-every', '1s', '--json']);
    try {
      const { url } = JSON.parse(await waitForLine(serve, /"event":"listening"/)) as { url: string };
      const retainedAll = waitForLine(serve, /"event":"retained","paths":2,"kept":10/, 60_000);
      const pushed = await runCli(['push', '--log', clientLog, '--to', url, '--token-file', clientToken, '--once', '--json']);
      expect(pushed.code, pushed.stderr).toBe(0);
      // A pass after the push saw all ten versions and forgot none.
      expect(JSON.parse(await retainedAll) as RetainedEvent).toMatchObject({ forgotten: 0, prune: null });
    } finally {
      expect(await stop(serve)).toBe(0);
    }
    const held = await serverVersions(serverLog);
    expect(held.map((v) => v.versionId).sort()).toEqual(built.map((v) => v.versionId).sort());

    // keep-daily=5: the client's five days would keep all; the server's days of receipt decide.
    const expected = new Set<string>();
    for (const path of ['f0.bin', 'f1.bin']) {
      const seenDays = new Set<number>();
      for (const v of held.filter((h) => h.path === path).reverse()) {
        const day = Math.floor(v.origin!.receivedMs! / DAY_MS);
        if (!seenDays.has(day)) expected.add(v.versionId);
        seenDays.add(day);
      }
    }
    expect(expected.size).toBeLessThan(10); // one or two days of receipt, never the client's five
    const daily = spawnCli(['serve', '--log', serverLog, '--listen', '127.0.0.1:0', '--token-file', tokens, '--accept-push', '--retain', 'keep-daily=5', '--json']);
    try {
      const event = JSON.parse(await waitForLine(daily, /"event":"retained"/, 60_000)) as RetainedEvent;
      expect(event).toMatchObject({ paths: 2, kept: expected.size, forgotten: 10 - expected.size });
      expect(event.prune?.versionsRemoved).toBe(10 - expected.size);
    } finally {
      expect(await stop(daily)).toBe(0);
    }
    expect((await serverVersions(serverLog)).map((v) => v.versionId).sort()).toEqual([...expected].sort());
    const verify = await runCli(['verify', '--log', serverLog, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it('history marks forgotten versions until a prune removes them', { timeout: 120_000 }, async () => {
    const log = join(await makeTmpDir(), 'log');
    const built = await buildRetentionLog(log, { paths: 1, versions: 3, bytes: 2048 });
    expect((await runCli(['forget', '--log', log, '--keep-last', '1'])).code).toBe(0);
    const text = await runCli(['history', 'r/f0.bin', '--log', log]);
    const lines = text.stdout.trim().split('\n');
    expect(lines.map((l) => l.endsWith('[forgotten]'))).toEqual([true, true, false]);
    const json = JSON.parse((await runCli(['history', 'r/f0.bin', '--log', log, '--json'])).stdout) as { versionId: string; forgotten: boolean }[];
    expect(json.map((v) => [v.versionId, v.forgotten])).toEqual(built.map((v, i) => [v.versionId, i < 2]));
    expect((await runCli(['prune', '--log', log, '--max-unused', '0'])).code).toBe(0);
    const after = JSON.parse((await runCli(['history', 'r/f0.bin', '--log', log, '--json'])).stdout) as { versionId: string; forgotten: boolean }[];
    expect(after.map((v) => [v.versionId, v.forgotten])).toEqual([[built[2]!.versionId, false]]);
  });

  it('refuses a bad or misplaced --retain before starting anything (exit 2)', async () => {
    const log = join(await makeTmpDir(), 'log');
    const bad = await runCli(['serve', '--log', log, '--listen', '127.0.0.1:0', '--accept-push', '--retain', 'keep-dayly=7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/keep-dayly=7/);
    expect((await runCli(['serve', '--log', log, '--listen', '127.0.0.1:0', '--retain', 'keep-daily=7'])).code).toBe(2);
    expect((await runCli(['serve', '--log', log, '--listen', '127.0.0.1:0', '--accept-push', '--retain', 'keep-daily=7', '--retain-every', '10ms'])).code).toBe(2);
    expect((await runCli(['serve', '--log', log, '--listen', '127.0.0.1:0', '--accept-push', '--retain-every', '1h'])).code).toBe(2);
  });
});
