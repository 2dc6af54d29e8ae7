// `synclog export` as a user runs it (built CLI, child process): each selection, --json output, usage errors.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VersionRecord } from '../../src/record/index.js';
import { REPO_ROOT, runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { TestLog, buildSampleLog } from '../fixtures/archives/test-log.js';

let sample: Awaited<ReturnType<typeof buildSampleLog>>;

/** A fresh dir holding a closed sample log (the CLI opens it read-only). */
async function sampleDir(): Promise<{ dir: string; log: string }> {
  const dir = await makeTmpDir();
  const log = join(dir, 'log');
  const t = await TestLog.open(log);
  sample = await buildSampleLog(t);
  await t.store.close();
  return { dir, log };
}

function listing(file: string): string[] {
  return execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).trim().split('\n');
}

describe('synclog export', () => {
  beforeAll(() => {
    expect(existsSync(join(REPO_ROOT, 'dist/cli/commands/export.js')), 'run npm run build first').toBe(true);
  });

  it('--all --json writes an archive tar can list', async () => {
    const { dir, log } = await sampleDir();
    const file = join(dir, 'all.tar.gz');
    const result = await runCli(['export', '--all', '-o', file, '--log', log, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ ok: true, file, versions: 11, deletes: 1, escapingSymlinks: 0 });
    expect(out.archiveBytes).toBeGreaterThan(0);
    expect(listing(file)[0]).toBe('.synclog/manifest.json');
  });

  it('--version (a prefix), --path, --at a time and --at a version', async () => {
    const { dir, log } = await sampleDir();
    const a2 = sample.a2 as VersionRecord;
    const one = await runCli(['export', '--version', a2.versionId.slice(0, 14), '-o', join(dir, 'one.tgz'), '--log', log, '--json']);
    expect(JSON.parse(one.stdout)).toMatchObject({ ok: true, versions: 1, deletes: 0 });
    expect(listing(join(dir, 'one.tgz'))).toEqual(['.synclog/manifest.json', 'docs/a.txt']);

    const history = await runCli(['export', '--path', 'docs/a.txt', '-o', join(dir, 'hist.tgz'), '--log', log, '--json']);
    expect(JSON.parse(history.stdout)).toMatchObject({ versions: 3 });

    const at = new Date(a2.time).toISOString();
    const byTime = await runCli(['export', '--at', at, '-o', join(dir, 'at.tgz'), '--log', log]);
    expect(byTime.code, byTime.stderr).toBe(0);
    expect(byTime.stdout).toMatch(/^exported 3 version\(s\) and 0 delete\(s\)/);
    const byVersion = await runCli(['export', '--at', a2.versionId, '-o', join(dir, 'atv.tgz'), '--log', log, '--json']);
    expect(JSON.parse(byVersion.stdout)).toMatchObject({ versions: 3 });
  });

  it('usage errors exit 2, an unknown version exits 1, and no file is left', async () => {
    const { dir, log } = await sampleDir();
    const file = join(dir, 'x.tgz');
    expect((await runCli(['export', '-o', file, '--log', log])).code).toBe(2);
    expect((await runCli(['export', '--all', '--path', 'docs', '-o', file, '--log', log])).code).toBe(2);
    expect((await runCli(['export', '--at', 'yesterday-ish', '-o', file, '--log', log])).code).toBe(2);
    const missing = await runCli(['export', '--version', 'ffffffffffffffffffff', '-o', file, '--log', log, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: 'SYNCLOG_NOT_FOUND' } });
    expect(existsSync(file)).toBe(false);
  });

  it('has help', async () => {
    const help = await runCli(['export', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--version <id>/);
    expect(help.stdout).toMatch(/--at <time\|id>/);
  });
});
