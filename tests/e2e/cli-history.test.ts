// `synclog history` and `synclog log`: versions of a path oldest first (newest last), several ways to name a path,
// filters by path and time, and clear errors.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

// One log with two versions of data/config.json, shared by the tests below (they only read it).
let fixture: { dir: string; data: string; log: string };
beforeAll(async () => {
  fixture = await twoVersions();
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

async function twoVersions() {
  const dir = await mkdtemp(join(tmpdir(), 'synclog-history-'));
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  await mkdir(data);
  await writeFile(join(data, 'config.json'), '{"v":1}');
  expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
  await writeFile(join(data, 'config.json'), '{"v":2,"more":true}');
  expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
  return { dir, data, log };
}

describe('synclog history / log', () => {
  it('lists versions oldest first, by display path, root-relative path, or file-system path', async () => {
    const { dir, data, log } = fixture;
    const result = await runCli(['history', 'data/config.json', '--log', log, '--json']);
    expect(result.code).toBe(0);
    const versions = JSON.parse(result.stdout) as { event: string; size: number; path: string; contentId: string; versionId: string }[];
    expect(versions.map((v) => [v.event, v.size, v.path])).toEqual([
      ['created', 7, 'data/config.json'],
      ['modified', 19, 'data/config.json'],
    ]);
    expect(versions[0]!.contentId).toMatch(/^[0-9a-f]{64}$/);
    const relative = await runCli(['history', 'config.json', '--log', log, '--json']);
    expect(JSON.parse(relative.stdout)).toEqual(versions);
    const fsPath = await runCli(['history', join(data, 'config.json'), '--log', log, '--json'], { cwd: dir });
    expect(JSON.parse(fsPath.stdout)).toEqual(versions);
    const text = await runCli(['history', 'data/config.json', '--log', log]);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stdout).toContain(versions[1]!.versionId);
  });

  it('exits 1 for a path the log never saw and 2 for a bad --since', async () => {
    const { log } = fixture;
    const missing = await runCli(['history', 'data/nope.txt', '--log', log]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no history for data\/nope.txt/);
    const bad = await runCli(['log', '--log', log, '--since', 'soon']);
    expect(bad.code).toBe(2);
  });

  it('log filters by path and time', async () => {
    const { log } = fixture;
    const recent = await runCli(['log', '--log', log, '--json', '--since', '1h']);
    expect((JSON.parse(recent.stdout) as unknown[]).length).toBe(2);
    const future = await runCli(['log', '--log', log, '--json', '--since', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(JSON.parse(future.stdout)).toEqual([]);
    const other = await runCli(['log', '--log', log, '--json', '--path', 'data/other']);
    expect(JSON.parse(other.stdout)).toEqual([]);
  });
});
