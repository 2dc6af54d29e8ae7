import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IoError, NotFoundError } from '../../../src/errors.js';
import { planRestore, restoreVersion, RootPaths, readVersionBytes } from '../../../src/explorer/index.js';
import type { VersionItem } from '../../../src/explorer/model/index.js';
import { openStore } from '../../../src/store/index.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { appendSteps, appendSymlink, type LogStep } from './build-log.js';

async function logWith(steps: (root: string) => LogStep[]) {
  const dir = await makeTmpDir('synclog-restore-');
  const root = join(dir, 'root');
  await mkdir(root);
  const logDir = join(dir, 'log');
  await appendSteps(logDir, steps(root));
  const store = await openStore(logDir, { readOnly: true, workers: 0 });
  const catalog = await store.catalog();
  const version = (display: string, index = 0) => {
    const [r, ...rest] = display.split('/');
    return catalog.history(r!, rest.join('/')).filter((h) => h.record.kind === 'version')[index] as VersionItem;
  };
  return { dir, root, store, catalog, version, rootPaths: new RootPaths(store, () => catalog.nextSeq) };
}

describe('restore', () => {
  it('finds the original path from the newest watch record of the root', async () => {
    const t = await logWith((root) => [
      { watch: 'home', rootPath: '/old/place' },
      { watch: 'home', rootPath: root },
      { file: 'home/x/y.txt', content: 'y' },
    ]);
    const plan = await planRestore(t.version('home/x/y.txt'), undefined, t.rootPaths);
    expect(plan).toMatchObject({ target: join(t.root, 'x', 'y.txt'), original: true, existing: undefined });
    await restoreVersion(t.store, t.catalog, plan);
    expect(await readFile(plan.target, 'utf8')).toBe('y');
    await t.store.close();
  });

  it('says when the root was never watched (the UI then asks for a target)', async () => {
    const t = await logWith(() => [{ file: 'other/a.txt', content: 'a' }]);
    await expect(planRestore(t.version('other/a.txt'), undefined, t.rootPaths)).rejects.toBeInstanceOf(NotFoundError);
    await t.store.close();
  });

  it('writes nothing when the target changed after the confirmation', async () => {
    const t = await logWith((root) => [{ watch: 'home', rootPath: root }, { file: 'home/a.txt', content: 'old' }]);
    const target = join(t.root, 'a.txt');
    await writeFile(target, 'mine');
    const plan = await planRestore(t.version('home/a.txt'), undefined, t.rootPaths);
    expect(plan.existing).toMatchObject({ type: 'file', size: 4 });
    await writeFile(target, 'mine, edited since');
    await expect(restoreVersion(t.store, t.catalog, plan)).rejects.toBeInstanceOf(IoError);
    expect(await readFile(target, 'utf8')).toBe('mine, edited since');
    await t.store.close();
  });

  it('refuses to replace a directory with a file', async () => {
    const t = await logWith((root) => [{ watch: 'home', rootPath: root }, { file: 'home/a.txt', content: 'old' }]);
    await mkdir(join(t.root, 'a.txt'));
    const plan = await planRestore(t.version('home/a.txt'), undefined, t.rootPaths);
    await expect(restoreVersion(t.store, t.catalog, plan)).rejects.toThrow(/directory/);
    expect((await stat(join(t.root, 'a.txt'))).isDirectory()).toBe(true);
    await t.store.close();
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const t = await logWith((root) => [{ watch: 'home', rootPath: root }, { file: 'home/a.txt', content: 'restored' }]);
    const outside = join(t.dir, 'outside.txt');
    await writeFile(outside, 'keep me');
    await symlink(outside, join(t.root, 'a.txt'));
    const plan = await planRestore(t.version('home/a.txt'), undefined, t.rootPaths);
    expect(plan.existing?.type).toBe('symlink');
    await restoreVersion(t.store, t.catalog, plan);
    expect(await readFile(outside, 'utf8')).toBe('keep me');
    expect((await lstat(join(t.root, 'a.txt'))).isFile()).toBe(true);
    expect(await readFile(join(t.root, 'a.txt'), 'utf8')).toBe('restored');
    await t.store.close();
  });

  it('drops setuid/setgid bits and restores mode and mtime', async () => {
    const t = await logWith((root) => [{ watch: 'home', rootPath: root }, { file: 'home/tool', content: '#!/bin/sh\n', mode: 0o4755 }]);
    const plan = await planRestore(t.version('home/tool'), undefined, t.rootPaths);
    await restoreVersion(t.store, t.catalog, plan);
    const info = await stat(plan.target);
    expect(info.mode & 0o7777).toBe(0o755);
    expect(info.mtimeMs).toBe(t.version('home/tool').record.mtimeMs);
    await t.store.close();
  });

  it('reads a version up to a limit, saying when it stopped early', async () => {
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    const t = await logWith((root) => [{ watch: 'home', rootPath: root }, { file: 'home/big.bin', content: big }]);
    const part = await readVersionBytes(t.store, t.version('home/big.bin'), 100_000);
    expect(part.truncated).toBe(true);
    expect(part.bytes).toEqual(big.subarray(0, 100_000));
    const all = await readVersionBytes(t.store, t.version('home/big.bin'), 1_000_000);
    expect(all).toEqual({ bytes: big, truncated: false });
    await t.store.close();
  });
});

describe('restore of symlink versions', () => {
  it('creates the link with its recorded target', async () => {
    const dir = await makeTmpDir('synclog-restore-');
    const record = await appendSymlink(join(dir, 'log'), 'home/link', '../target');
    const reader = await openStore(join(dir, 'log'), { readOnly: true, workers: 0 });
    const item = (await reader.catalog()).history('home', 'link')[0] as VersionItem;
    expect(item.record.versionId).toBe(record.versionId);
    const target = join(dir, 'restored-link');
    await restoreVersion(reader, await reader.catalog(), { version: item, target, existing: undefined, original: false });
    expect(await readlink(target)).toBe('../target');
    await reader.close();
  });
});

describe('root paths', () => {
  it('maps a file-system path inside a watched root to its display path', async () => {
    const t = await logWith((root) => [{ watch: 'home', rootPath: root }, { file: 'home/a/b.txt', content: 'b' }]);
    expect(await t.rootPaths.displayPathOf(join(t.root, 'a', 'b.txt'))).toBe('home/a/b.txt');
    expect(await t.rootPaths.displayPathOf(join(t.dir, 'elsewhere.txt'))).toBeUndefined();
    expect(await t.rootPaths.displayPathOf(t.root)).toBeUndefined();
    await t.store.close();
  });
});
