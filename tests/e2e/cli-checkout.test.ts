// `synclog checkout` as a user runs it: two snapshots of a folder, then the tree checked out at a time between them,
// at now, just after a version id, and before anything existed; and the usage errors.
import { chmod, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree, type TreeEntry } from '../helpers/tree-snapshot.js';

let work: string;
let logDir: string;
let between: string;
let firstTree: Record<string, TreeEntry>;
let secondTree: Record<string, TreeEntry>;
let lastFirstVersionId: string;
let lastFirstPrefix: string;

async function snapshot(source: string): Promise<void> {
  const result = await runCli(['snapshot', source, '--log', logDir, '--json']);
  expect(result.code, result.stderr).toBe(0);
}

describe('synclog checkout', () => {
  beforeAll(async () => {
    // Shared by every test (makeTmpDir's folders are removed after each one).
    work = await mkdtemp(join(tmpdir(), 'synclog-checkout-'));
    logDir = join(work, 'log');
    const source = join(work, 'proj');
    await mkdir(join(source, 'sub'), { recursive: true });
    await mkdir(join(source, 'empty'));
    await writeFile(join(source, 'a.txt'), 'first a\n');
    await writeFile(join(source, 'sub/b.txt'), 'first b\n', { mode: 0o600 });
    await symlink('a.txt', join(source, 'link'));
    await snapshot(source);
    firstTree = await snapshotTree(source);
    await new Promise((resolve) => setTimeout(resolve, 50));
    between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeFile(join(source, 'a.txt'), 'second a\n');
    await chmod(join(source, 'a.txt'), 0o640);
    await rm(join(source, 'sub/b.txt'));
    await rename(join(source, 'empty'), join(source, 'renamed-empty'));
    await writeFile(join(source, 'sub/c.txt'), 'new c\n');
    await snapshot(source);
    secondTree = await snapshotTree(source);
    const store = await openStore(logDir, { readOnly: true, workers: 0 });
    try {
      const tree = (await store.catalog()).treeAt({ timeMs: Date.parse(between) });
      const newest = [...tree.values()].sort((a, b) => b.seq - a.seq)[0]!;
      lastFirstVersionId = newest.record.versionId;
      // Versions recorded in the same millisecond share their first 16 characters (ids count up within a ms), so
      // the prefix given to --version is grown until it names one version only.
      const ids: string[] = [];
      for await (const entry of store.entries({ kinds: ['version', 'delete'] })) ids.push((entry.record as { versionId: string }).versionId);
      let length = 16;
      while (ids.filter((id) => id.startsWith(lastFirstVersionId.slice(0, length))).length > 1) length++;
      lastFirstPrefix = lastFirstVersionId.slice(0, length);
    } finally {
      await store.close();
    }
  }, 60_000);

  afterAll(async () => {
    if (!process.env.SYNCLOG_KEEP_TMP) await rm(work, { recursive: true, force: true });
  });

  it('--at a time between two snapshots writes the tree as it was then', async () => {
    const out = join(await makeTmpDir(), 'out');
    const result = await runCli(['checkout', '--log', logDir, '--out', out, '--at', between, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, at: between, files: 2, symlinks: 1, skippedSymlinks: 0 });
    expect(await snapshotTree(join(out, 'proj'))).toEqual(firstTree);
  });

  it('--at now and --version ID', async () => {
    const now = join(await makeTmpDir(), 'now');
    const result = await runCli(['checkout', '--log', logDir, '--out', now, '--at', 'now']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^checked out .*: 2 files, 2 dirs, 1 links/);
    expect(await snapshotTree(join(now, 'proj'))).toEqual(secondTree);
    const byVersion = join(await makeTmpDir(), 'by-version');
    const versioned = await runCli(['checkout', '--log', logDir, '--out', byVersion, '--version', lastFirstPrefix]);
    expect(versioned.code, versioned.stderr).toBe(0);
    expect(await snapshotTree(join(byVersion, 'proj'))).toEqual(firstTree);
  });

  it('"2h ago", before anything was recorded, is refused with the log\'s first moment (exit 2), nothing written', async () => {
    const out = join(await makeTmpDir(), 'out');
    const result = await runCli(['checkout', '--log', logDir, '--out', out, '--at', '2h ago']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/before the log begins \(its first entry was recorded at \d{4}-/);
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('checkout --at parsing: Unix seconds are seconds (not 1970), @seconds too, and --at 0 is read but refused as before the log', async () => {
    const seconds = String(Math.floor(Date.now() / 1000) + 1);
    for (const at of [seconds, `@${seconds}`]) {
      const out = join(await makeTmpDir(), 'out');
      const result = await runCli(['checkout', '--log', logDir, '--out', out, '--at', at, '--json']);
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as { at: string; files: number };
      expect(Date.parse(summary.at)).toBe(Number(seconds) * 1000);
      expect(await snapshotTree(join(out, 'proj'))).toEqual(secondTree);
    }
    const zero = await runCli(['checkout', '--log', logDir, '--out', join(await makeTmpDir(), 'out'), '--at', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/1970-01-01T00:00:00.000Z is before the log begins/);
  });

  it('usage errors exit 2; an unknown version exits 1', async () => {
    const dir = await makeTmpDir();
    await writeFile(join(dir, 'occupied'), 'x');
    expect((await runCli(['checkout', '--log', logDir, '--out', dir, '--at', 'now'])).code).toBe(2);
    expect((await runCli(['checkout', '--log', logDir, '--out', join(dir, 'a'), '--at', 'whenever'])).code).toBe(2);
    expect((await runCli(['checkout', '--log', logDir, '--out', join(dir, 'b')])).code).toBe(2);
    expect((await runCli(['checkout', '--log', logDir, '--out', join(dir, 'c'), '--at', 'now', '--version', 'abcdef'])).code).toBe(2);
    const unknown = await runCli(['checkout', '--log', logDir, '--out', join(dir, 'd'), '--version', 'ffffffffffff']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no version');
    // A prefix too short to be unique says so (exit 2), as restore does, instead of "no version".
    const short = await runCli(['checkout', '--log', logDir, '--out', join(dir, 'e'), '--version', lastFirstPrefix.slice(0, 3)]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/too short: give at least 6 characters/);
    const exported = await runCli(['export', '--log', logDir, '--output', join(dir, 'f.tar.gz'), '--version', lastFirstPrefix.slice(0, 3)]);
    expect(exported.code).toBe(2);
    expect(exported.stderr).toMatch(/too short/);
  });
});
