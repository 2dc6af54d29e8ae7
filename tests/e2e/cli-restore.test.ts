// `synclog restore`: a version back to its original place or elsewhere, atomically, with mode and mtime; never over
// local content the log does not have (unless --force); never a directory as a file.
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('synclog restore', () => {
  it('restores in place, elsewhere, by prefix; refuses to destroy unrecorded content without --force', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(join(data, 'sub'), { recursive: true });
    const file = join(data, 'notes.txt');
    await writeFile(file, 'first');
    await chmod(file, 0o640);
    expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
    await writeFile(file, 'second');
    expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
    const versions = JSON.parse((await runCli(['history', 'data/notes.txt', '--log', log, '--json'])).stdout) as { versionId: string; mtime: number }[];
    const first = versions[0]!;

    // In place: the current content is recorded, so overwriting it loses nothing.
    const inPlace = await runCli(['restore', 'data/notes.txt', '--version', first.versionId, '--log', log, '--json']);
    expect(inPlace.code).toBe(0);
    expect(JSON.parse(inPlace.stdout)).toMatchObject({ ok: true, dest: file });
    expect(await readFile(file, 'utf8')).toBe('first');
    const info = await stat(file);
    expect(info.mode & 0o777).toBe(0o640);
    expect(Math.abs(info.mtimeMs - first.mtime)).toBeLessThan(2);

    // Unrecorded local edits are refused (exit 2, with the fix), then overwritten with --force.
    await writeFile(file, 'local edit nobody recorded');
    const refused = await runCli(['restore', 'data/notes.txt', '--version', versions[1]!.versionId, '--log', log]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--force/);
    expect(await readFile(file, 'utf8')).toBe('local edit nobody recorded');
    const forced = await runCli(['restore', 'data/notes.txt', '--version', versions[1]!.versionId, '--log', log, '--force']);
    expect(forced.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe('second');

    // Elsewhere, by a unique prefix (the time part of ids is shared, so use most of it).
    const dest = join(dir, 'out', 'notes.old');
    const elsewhere = await runCli(['restore', 'data/notes.txt', '--version', first.versionId.slice(0, 16), '--to', dest, '--log', log]);
    expect(elsewhere.code).toBe(0);
    expect(await readFile(dest, 'utf8')).toBe('first');
  });

  it('restores a folder version as the folder itself; refuses it over a file and an unknown version', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(join(data, 'folder'), { recursive: true });
    expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
    const [folder] = JSON.parse((await runCli(['history', 'data/folder', '--log', log, '--json'])).stdout) as { versionId: string }[];
    const asDir = await runCli(['restore', 'data/folder', '--version', folder!.versionId, '--to', join(dir, 'x'), '--log', log]);
    expect(asDir.code).toBe(0);
    expect((await stat(join(dir, 'x'))).isDirectory()).toBe(true);
    await writeFile(join(dir, 'y'), 'a file');
    const overFile = await runCli(['restore', 'data/folder', '--version', folder!.versionId, '--to', join(dir, 'y'), '--log', log, '--force']);
    expect(overFile.code).toBe(2);
    expect(overFile.stderr).toMatch(/does not replace it by a directory/);
    const unknown = await runCli(['restore', 'data/folder', '--version', 'ffffffffffffffffffff', '--to', join(dir, 'x'), '--log', log]);
    expect(unknown.code).toBe(1);
  });

  it('restore --version abc prefix too short: says so with the minimum, exit 2', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(data);
    await writeFile(join(data, 'a.txt'), 'a');
    expect((await runCli(['snapshot', data, '--log', log])).code).toBe(0);
    const short = await runCli(['restore', 'data/a.txt', '--version', 'abc', '--to', join(dir, 'out'), '--log', log]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/prefix "abc" is too short: give at least 6 characters/);
  });
});
