// One restore path: the same cases through all three entry points (`synclog restore`, the explorer's restore service,
// AppendOnlyLogWatcher.restoreVersion), which all call the receiver's restore service (src/receiver/restore.ts).
// Each row runs once per entry point, into its own target folder, and must give the same outcome.
// The explorer has no version id input (the user picks a version from the list), so the id-prefix rows skip it.
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppendOnlyLogWatcher, isSynclogError } from '../../src/index.js';
import { planRestore, restoreVersion, RootPaths } from '../../src/explorer/index.js';
import type { VersionItem } from '../../src/explorer/model/index.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/run-cli.js';

type Entry = 'cli' | 'explorer' | 'api';
const ENTRIES: Entry[] = ['cli', 'explorer', 'api'];

interface Restore {
  display: string;
  versionId: string;
  /** Absolute target, or undefined for the version's original place. */
  target: string | undefined;
  force?: boolean;
}
/** ok, or the error code (SYNCLOG_*) the entry point reported. */
type Outcome = { ok: true } | { ok: false; code: string; message: string };

let dir: string;
let data: string;
let log: string;
let watcher: AppendOnlyLogWatcher;
const ids: Record<string, string[]> = {};

async function idsOf(display: string): Promise<string[]> {
  const result = await runCli(['history', display, '--log', log, '--json']);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { versionId: string; event: string }[]).filter((v) => v.event !== 'deleted').map((v) => v.versionId);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synclog-restore-one-'));
  data = join(dir, 'data');
  log = join(dir, 'log');
  await mkdir(join(data, 'sub'), { recursive: true });
  await mkdir(join(data, 'inner'));
  await writeFile(join(data, 'plain.txt'), 'plain one');
  await chmod(join(data, 'plain.txt'), 0o640);
  await writeFile(join(data, 'tool'), '#!/bin/sh\necho tool\n');
  await chmod(join(data, 'tool'), 0o4755);
  await symlink('plain.txt', join(data, 'link'));
  await chmod(join(data, 'sub'), 0o750);
  await writeFile(join(data, 'inner', 'file.txt'), 'inner');
  expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
  await writeFile(join(data, 'plain.txt'), 'plain two');
  expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
  for (const path of ['plain.txt', 'tool', 'link', 'sub', 'inner/file.txt']) ids[path] = await idsOf(`data/${path}`);
  // The parent of inner/file.txt's original place becomes a link to a folder outside the root.
  await mkdir(join(dir, 'outside'));
  await rename(join(data, 'inner'), join(dir, 'inner-moved'));
  await symlink(join(dir, 'outside'), join(data, 'inner'));
  watcher = new AppendOnlyLogWatcher({ watchPath: data, logPath: log, debounceMs: 50 });
  await watcher.start();
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
  await rm(dir, { recursive: true, force: true });
});

function outcomeOf(error: unknown): Outcome {
  if (isSynclogError(error)) return { ok: false, code: error.code, message: error.message };
  throw error;
}

async function viaCli(r: Restore): Promise<Outcome> {
  const args = ['restore', r.display, '--version', r.versionId, '--log', log, '--json', ...(r.target ? ['--to', r.target] : []), ...(r.force ? ['--force'] : [])];
  const result = await runCli(args);
  const body = JSON.parse(result.stdout) as { ok: boolean; error?: { code: string; message: string } };
  if (body.ok) return { ok: true };
  expect(result.code).not.toBe(0);
  return { ok: false, code: body.error!.code, message: body.error!.message };
}

async function viaExplorer(r: Restore): Promise<Outcome> {
  const store = await openStore(log, { readOnly: true, workers: 0 });
  try {
    const catalog = await store.catalog();
    const [root, ...rest] = r.display.split('/');
    const version = catalog.history(root!, rest.join('/')).find((s) => s.record.versionId === r.versionId) as VersionItem;
    const plan = await planRestore(version, r.target, new RootPaths(store, () => catalog.nextSeq));
    // The explorer asks before replacing anything; not confirming (no force) writes nothing.
    if (plan.existing && !r.force) return { ok: false, code: 'SYNCLOG_USAGE', message: 'not confirmed' };
    await restoreVersion(store, catalog, plan);
    return { ok: true };
  } catch (error) {
    return outcomeOf(error);
  } finally {
    await store.close();
  }
}

async function viaApi(r: Restore): Promise<Outcome> {
  try {
    await watcher.restoreVersion(r.display, r.versionId, r.target, { force: r.force });
    return { ok: true };
  } catch (error) {
    return outcomeOf(error);
  }
}

const RUN: Record<Entry, (r: Restore) => Promise<Outcome>> = { cli: viaCli, explorer: viaExplorer, api: viaApi };

async function targetDir(entry: Entry, name: string): Promise<string> {
  const folder = join(dir, 'out', name, entry);
  await mkdir(folder, { recursive: true });
  return folder;
}

describe.each(ENTRIES)('restore through %s', (entry) => {
  const run = RUN[entry];

  it('plain file: content, mode and mtime', async () => {
    const target = join(await targetDir(entry, 'plain'), 'plain.txt');
    expect(await run({ display: 'data/plain.txt', versionId: ids['plain.txt']![0]!, target })).toEqual({ ok: true });
    expect(await readFile(target, 'utf8')).toBe('plain one');
    expect((await stat(target)).mode & 0o7777).toBe(0o640);
  });

  it('setuid file: the setuid bit is stripped', async () => {
    const target = join(await targetDir(entry, 'setuid'), 'tool');
    expect(await run({ display: 'data/tool', versionId: ids['tool']![0]!, target })).toEqual({ ok: true });
    expect((await stat(target)).mode & 0o7777).toBe(0o755);
  });

  it('existing target: refused and unchanged, then forced', async () => {
    const target = join(await targetDir(entry, 'existing'), 'plain.txt');
    await writeFile(target, 'local edit nobody recorded');
    const refused = await run({ display: 'data/plain.txt', versionId: ids['plain.txt']![0]!, target });
    expect(refused).toMatchObject({ ok: false, code: 'SYNCLOG_USAGE' });
    expect(await readFile(target, 'utf8')).toBe('local edit nobody recorded');
    expect(await run({ display: 'data/plain.txt', versionId: ids['plain.txt']![0]!, target, force: true })).toEqual({ ok: true });
    expect(await readFile(target, 'utf8')).toBe('plain one');
  });

  it('target whose parent is a symlink (original place): refused, nothing written through the link', async () => {
    const outcome = await run({ display: 'data/inner/file.txt', versionId: ids['inner/file.txt']![0]!, target: undefined });
    expect(outcome).toMatchObject({ ok: false, code: 'SYNCLOG_UNSAFE_PATH' });
    await expect(lstat(join(dir, 'outside', 'file.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('symlink version: restored as the link it was, not followed', async () => {
    const target = join(await targetDir(entry, 'symlink'), 'link');
    expect(await run({ display: 'data/link', versionId: ids['link']![0]!, target })).toEqual({ ok: true });
    expect((await lstat(target)).isSymbolicLink()).toBe(true);
    expect(await readlink(target)).toBe('plain.txt');
  });

  it('folder version: the folder itself, with its mode', async () => {
    const target = join(await targetDir(entry, 'folder'), 'sub');
    expect(await run({ display: 'data/sub', versionId: ids['sub']![0]!, target })).toEqual({ ok: true });
    const info = await stat(target);
    expect(info.isDirectory()).toBe(true);
    expect(info.mode & 0o7777).toBe(0o750);
  });

});

// The explorer has no id input (a version is picked from its list), so these rows run through the other two.
describe.each(['cli', 'api'] as Entry[])('restore by version id through %s', (entry) => {
  const run = RUN[entry];

  it('version id prefix: too short, ambiguous (candidates listed), unknown', async () => {
    const target = join(await targetDir(entry, 'prefix'), 'plain.txt');
    const [first, second] = ids['plain.txt']!;
    const short = await run({ display: 'data/plain.txt', versionId: 'abc', target });
    expect(short).toMatchObject({ ok: false, code: 'SYNCLOG_USAGE' });
    expect((short as { message: string }).message).toMatch(/too short.*at least 6/);
    let common = 0;
    while (first![common] === second![common]) common++;
    expect(common).toBeGreaterThanOrEqual(6); // ids start with their time: two snapshots seconds apart share it
    const ambiguous = await run({ display: 'data/plain.txt', versionId: first!.slice(0, common), target });
    expect(ambiguous).toMatchObject({ ok: false, code: 'SYNCLOG_USAGE' });
    expect((ambiguous as { message: string }).message).toContain(first!);
    expect((ambiguous as { message: string }).message).toContain(second!);
    const unknown = await run({ display: 'data/plain.txt', versionId: 'ffffffffffffffffffff', target });
    expect(unknown).toMatchObject({ ok: false, code: 'SYNCLOG_NOT_FOUND' });
    await expect(lstat(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
