// Exports read by the system tar (GNU tar): `tar tzf` lists them, `tar xzf` gives a usable tree (newest versions in
// place, older ones under .synclog-versions, symlinks as symlinks, modes and mtimes kept). And a failed export
// leaves no partial file.
import { execFileSync } from 'node:child_process';
import { lstat, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportArchive, olderEntryName } from '../../src/archive/index.js';
import { newVersionId, type VersionRecord } from '../../src/record/index.js';
import type { StoreApi } from '../../src/store/index.js';
import type { LogPath } from '../../src/util/log-path.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { TestLog, buildSampleLog, contentOf, sameBytes } from '../fixtures/archives/test-log.js';

const open: StoreApi[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('exports and the system tar', () => {
  it('tar tzf lists the manifest first, then the tree; tar xzf gives the files', async () => {
    const dir = await makeTmpDir();
    const log = await TestLog.open(join(dir, 'log'));
    open.push(log.store);
    const r = await buildSampleLog(log);
    const file = join(dir, 'all.tar.gz');
    await exportArchive(log.store, { kind: 'all' }, file);

    const listing = execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing[0]).toBe('.synclog/manifest.json');
    expect(listing).toContain('docs/a.txt');
    expect(listing).toContain('docs/sub/');
    expect(listing).not.toContain('docs/old.txt'); // deleted: only under .synclog-versions
    const a1 = r.a1 as VersionRecord;
    expect(listing).toContain(olderEntryName('docs', 'a.txt', a1.time, a1.versionId));

    // Identical contents of 16 KiB or more after the first are hard links to it.
    const verbose = execFileSync('tar', ['tvzf', file], { encoding: 'utf8' });
    expect(verbose).toMatch(/docs\/copy-2\.bin link to docs\/copy-1\.bin/);
    const out = join(dir, 'x');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['xzf', file, '-C', out]);
    expect(await readFile(join(out, 'docs/a.txt'), 'utf8')).toBe('third\n');
    expect(await readFile(join(out, olderEntryName('docs', 'a.txt', a1.time, a1.versionId)), 'utf8')).toBe('first version\n');
    expect(sameBytes(await readFile(join(out, 'docs/sub/b.bin')), await contentOf(log.store, r.b as VersionRecord))).toBe(true);
    expect(sameBytes(await readFile(join(out, 'docs/copy-2.bin')), await readFile(join(out, 'docs/copy-1.bin')))).toBe(true);
    expect(await readlink(join(out, 'docs/sub/link'))).toBe('../a.txt');
    expect(await readFile(join(out, 'docs/empty'))).toHaveLength(0);
    const b = await lstat(join(out, 'docs/sub/b.bin'));
    expect(b.mode & 0o7777).toBe(0o600);
    expect(Math.floor(b.mtimeMs / 1000)).toBe(Math.floor((r.b as VersionRecord).mtimeMs / 1000));
    expect((await lstat(join(out, 'docs/a.txt'))).mode & 0o7777).toBe(0o640);
    expect((await readdir(join(out, 'pics/x')))[0]).toMatch(/^ünïcode name/);
    const manifest = JSON.parse(await readFile(join(out, '.synclog/manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'synclog-archive', formatVersion: 1 });
    expect(manifest.records).toHaveLength(Object.keys(r).length);
  });

  it('an export whose file cannot be written fails with the OS error (and does not hang)', async () => {
    const dir = await makeTmpDir();
    const log = await TestLog.open(join(dir, 'log'));
    open.push(log.store);
    await buildSampleLog(log);
    await expect(exportArchive(log.store, { kind: 'all' }, join(dir, 'no', 'such', 'dir', 'x.tgz'))).rejects.toMatchObject({ code: 'SYNCLOG_IO', details: { errno: 'ENOENT' } });
  });

  it('a failed export leaves the previous FILE untouched and no temp file', async () => {
    const dir = await makeTmpDir();
    const log = await TestLog.open(join(dir, 'log'));
    open.push(log.store);
    await log.file('r', 'fine.txt', 'fine');
    // A version whose chunk is not in the log: reading its content fails in the middle of the export.
    const ghost = new Uint8Array(32).fill(7);
    const record: VersionRecord = {
      kind: 'version', versionId: newVersionId(), time: Date.now(), root: 'r', path: 'ghost.bin' as LogPath, type: 'file', event: 'created',
      size: 10, mtimeMs: 0, mode: 0o644, uid: 0, gid: 0, contentId: ghost, chunks: [{ id: ghost, size: 10 }],
    };
    // appendRecords refuses a version whose chunk is neither stored nor queued; an atomic group is how such a
    // record can still reach a log (a group carries its own chunks, so it is not checked the same way).
    await log.store.appendAtomic([record]);
    const file = join(dir, 'out.tar.gz');
    await writeFile(file, 'previous archive');
    await expect(exportArchive(log.store, { kind: 'all' }, file)).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('previous archive');
    expect((await readdir(dir)).sort()).toEqual(['log', 'out.tar.gz']);
  });
});
