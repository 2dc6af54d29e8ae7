// `synclog import` as a user runs it (built CLI, child process): synclog archives, plain tarballs, hostile
// archives refused with the log unchanged, bomb limits from the command line, the writer lock.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportArchive } from '../../src/archive/index.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { HOSTILE, writeTarGz } from '../fixtures/archives/build-archive.js';
import { TestLog, buildSampleLog, logState, noise } from '../fixtures/archives/test-log.js';

async function exported(dir: string): Promise<string> {
  const t = await TestLog.open(join(dir, 'source'));
  await buildSampleLog(t);
  const file = join(dir, 'sample.tar.gz');
  await exportArchive(t.store, { kind: 'all' }, file);
  await t.store.close();
  return file;
}

/** Every file under `dir` (relative path → content, hex): the log's exact bytes. */
async function bytesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out[full.slice(dir.length + 1)] = (await readFile(full)).toString('hex');
  }
  return out;
}

async function stateOf(log: string) {
  const t = await TestLog.open(log);
  try {
    return await logState(t.store);
  } finally {
    await t.store.close();
  }
}

describe('synclog import', () => {
  it('imports a synclog archive, and adds nothing the second time', async () => {
    const dir = await makeTmpDir();
    const file = await exported(dir);
    const log = join(dir, 'target');
    const first = await runCli(['import', file, '--log', log, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, kind: 'synclog', versions: 11, deletes: 1, skipped: 0 });
    const second = await runCli(['import', file, '--log', log]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/0 version\(s\), 0 delete\(s\), 0 new chunk\(s\).*12 already in the log/);
    expect((await stateOf(log)).ok).toBe(true);
  });

  it('imports a plain tarball into --root', async () => {
    const dir = await makeTmpDir();
    await mkdir(join(dir, 'tree', 'd'), { recursive: true });
    await writeFile(join(dir, 'tree', 'd', 'f.txt'), 'plain');
    execFileSync('tar', ['czf', join(dir, 'tree.tar.gz'), '-C', join(dir, 'tree'), '.']);
    const result = await runCli(['import', join(dir, 'tree.tar.gz'), '--root', 'mine', '--log', join(dir, 'log'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'plain', root: 'mine', versions: 2 });
  });

  it('refuses a hostile archive with exit 1 and the log unchanged', async () => {
    const dir = await makeTmpDir();
    const log = join(dir, 'log');
    const t = await TestLog.open(log);
    await t.file('r', 'x.txt', 'x');
    await t.store.close();
    const before = await stateOf(log);
    const file = await writeTarGz(join(dir, 'evil.tar.gz'), HOSTILE['symlink-escape']!);
    const json = await runCli(['import', file, '--log', log, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'SYNCLOG_ARCHIVE', details: { reason: 'symlink-escape', entry: 'link' } } });
    const text = await runCli(['import', file, '--log', log]);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/entry "link".*leaves the archive root/);
    expect(await stateOf(log)).toEqual(before);
  });

  it('a failed import leaves no empty log folder behind; an existing log stays byte-for-byte unchanged', async () => {
    const dir = await makeTmpDir();
    const file = await writeTarGz(join(dir, 'evil.tar.gz'), HOSTILE['symlink-escape']!);
    const fresh = join(dir, 'new-log');
    const refused = await runCli(['import', file, '--log', fresh]);
    expect(refused.code).toBe(1);
    await expect(stat(fresh)).rejects.toMatchObject({ code: 'ENOENT' });
    const missing = await runCli(['import', join(dir, 'no-such.tar.gz'), '--log', fresh]);
    expect(missing.code).not.toBe(0);
    await expect(stat(fresh)).rejects.toMatchObject({ code: 'ENOENT' });

    const log = join(dir, 'log');
    const t = await TestLog.open(log);
    await t.file('r', 'x.txt', 'x');
    await t.store.close();
    const before = await bytesOf(log);
    expect((await runCli(['import', file, '--log', log])).code).toBe(1);
    expect(await bytesOf(log)).toEqual(before);
  });

  it('takes --max-bytes and --max-ratio', async () => {
    const dir = await makeTmpDir();
    const file = await writeTarGz(join(dir, 'big.tar.gz'), [{ name: 'n.bin', data: noise(2 * 1024 * 1024, 3) }, { name: 'z', data: Buffer.alloc(8 * 1024 * 1024) }]);
    const size = await runCli(['import', file, '--log', join(dir, 'log'), '--max-bytes', '1M', '--json']);
    expect(JSON.parse(size.stdout)).toMatchObject({ error: { details: { reason: 'bomb-size' } } });
    const ratio = await runCli(['import', file, '--log', join(dir, 'log'), '--max-ratio', '2', '--json']);
    expect(JSON.parse(ratio.stdout)).toMatchObject({ error: { details: { reason: 'bomb-ratio' } } });
    expect((await runCli(['import', file, '--log', join(dir, 'log'), '--max-bytes', 'lots'])).code).toBe(2);
    const fine = await runCli(['import', file, '--log', join(dir, 'log'), '--max-bytes', '64M', '--json']);
    expect(JSON.parse(fine.stdout)).toMatchObject({ ok: true, versions: 2 });
  });

  it('exits 3 while another writer holds the log', async () => {
    const dir = await makeTmpDir();
    const file = await writeTarGz(join(dir, 'a.tar.gz'), [{ name: 'a.txt', data: 'a' }]);
    const writer = await TestLog.open(join(dir, 'log'));
    try {
      const result = await runCli(['import', file, '--log', join(dir, 'log')]);
      expect(result.code).toBe(3);
    } finally {
      await writer.store.close();
    }
  });
});
