// Plain tarballs from other tools (system `tar czf` / `tar cf`): a snapshot of a tree imported into one root,
// files as 'imported' versions, dirs and symlinks as the watcher records them; unchanged paths are not re-added.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportArchive, importArchive } from '../../src/archive/index.js';
import type { VersionRecord } from '../../src/record/index.js';
import type { StoreApi } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { TestLog, contentOf, noise, sameBytes } from '../fixtures/archives/test-log.js';

const open: StoreApi[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function makeTree(dir: string): Promise<string> {
  const tree = join(dir, 'project');
  await mkdir(join(tree, 'src'), { recursive: true });
  await writeFile(join(tree, 'README.md'), '# project\n');
  await writeFile(join(tree, 'src', 'data.bin'), noise(500_000, 4));
  await chmod(join(tree, 'src', 'data.bin'), 0o600);
  await utimes(join(tree, 'README.md'), 1_600_000_000, 1_600_000_000);
  await symlink('../README.md', join(tree, 'src', 'readme-link'));
  return tree;
}

describe('plain tarball import', () => {
  it('imports what tar czf made, into a root named after the archive, then adds nothing the second time', async () => {
    const dir = await makeTmpDir();
    const tree = await makeTree(dir);
    const file = join(dir, 'project-2024.tar.gz');
    execFileSync('tar', ['czf', file, '-C', dir, 'project']);
    const log = await TestLog.open(join(dir, 'log'));
    open.push(log.store);

    const result = await importArchive(log.store, file);
    expect(result).toMatchObject({ kind: 'plain', root: 'project-2024', versions: 5, skipped: 0 });
    const catalog = await log.store.catalog();
    const readme = catalog.latest('project-2024', 'project/README.md')!.record as VersionRecord;
    expect(readme).toMatchObject({ type: 'file', event: 'imported', size: 10, mtimeMs: 1_600_000_000_000 });
    expect((await contentOf(log.store, readme)).toString()).toBe('# project\n');
    const data = catalog.latest('project-2024', 'project/src/data.bin')!.record as VersionRecord;
    expect(data.mode).toBe(0o600);
    expect(sameBytes(await contentOf(log.store, data), noise(500_000, 4))).toBe(true);
    expect(catalog.latest('project-2024', 'project/src/readme-link')!.record).toMatchObject({ type: 'symlink', target: '../README.md' });
    expect(catalog.latest('project-2024', 'project/src')!.record).toMatchObject({ type: 'dir' });

    const again = await importArchive(log.store, file);
    expect(again).toMatchObject({ versions: 0, skipped: 5, records: 0, newChunks: 0 });

    // One changed file: only it is added, and its unchanged chunks are not stored again.
    await writeFile(join(tree, 'README.md'), '# project, edited\n');
    execFileSync('tar', ['czf', file, '-C', dir, 'project']);
    const third = await importArchive(log.store, file);
    expect(third).toMatchObject({ versions: 1, skipped: 4, newChunks: 1 });
    expect((await log.store.verify()).ok).toBe(true);
  });

  it('imports an uncompressed tar made with -C dir . into --root, hard links included', async () => {
    const dir = await makeTmpDir();
    const tree = await makeTree(dir);
    execFileSync('ln', [join(tree, 'src', 'data.bin'), join(tree, 'hard.bin')]);
    const file = join(dir, 'snap.tar');
    execFileSync('tar', ['cf', file, '-C', tree, '.']);
    const log = await TestLog.open(join(dir, 'log'));
    open.push(log.store);
    const result = await importArchive(log.store, file, { root: 'snapshot' });
    expect(result).toMatchObject({ kind: 'plain', root: 'snapshot', versions: 5 });
    const catalog = await log.store.catalog();
    const hard = catalog.latest('snapshot', 'hard.bin')!.record as VersionRecord;
    const data = catalog.latest('snapshot', 'src/data.bin')!.record as VersionRecord;
    expect(Buffer.from(hard.contentId!)).toEqual(Buffer.from(data.contentId!));
    expect(sameBytes(await contentOf(log.store, hard), noise(500_000, 4))).toBe(true);
  });

  it('a plain import exports again as a synclog archive', async () => {
    const dir = await makeTmpDir();
    await makeTree(dir);
    const file = join(dir, 'p.tgz');
    execFileSync('tar', ['czf', file, '-C', dir, 'project']);
    const log = await TestLog.open(join(dir, 'log'));
    open.push(log.store);
    await importArchive(log.store, file);
    const out = join(dir, 'again.tar.gz');
    const exported = await exportArchive(log.store, { kind: 'path', path: 'p/project/src' }, out);
    expect(exported).toMatchObject({ versions: 3, deletes: 0, escapingSymlinks: 0 });
    const other = await TestLog.open(join(dir, 'other'));
    open.push(other.store);
    expect(await importArchive(other.store, out)).toMatchObject({ kind: 'synclog', versions: 3 });
  });
});
