// Directory modes in the destination. A receiver that is not root cannot write into a folder whose mode forbids
// it, so (unless root) folders are kept owner-writable and searchable while the destination is written; checkout
// sets the exact modes when it is done. Run as root here, so `keepDirsWritable` is set explicitly both ways.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Destination } from '../../../src/receiver/destination.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const ctx = { where: { seq: 1, segment: '00000000000000000000.seg', offset: 64 }, replay: false };

describe('Destination directory modes', () => {
  it('keeps a read-only folder owner-writable and searchable when asked (a receiver that is not root)', async () => {
    const root = await makeTmpDir();
    const dest = new Destination(root, undefined, true);
    const locked = join(root, 'locked');
    await dest.makeDir(locked, { mode: 0o555, mtimeMs: 1_700_000_000_000 }, ctx);
    expect((await stat(locked)).mode & 0o7777).toBe(0o755);
    await dest.makeDir(join(root, 'no-search'), { mode: 0o444, mtimeMs: 1_700_000_000_000 }, ctx);
    expect((await stat(join(root, 'no-search'))).mode & 0o7777).toBe(0o744);
    await dest.writeFile(join(locked, 'a.txt'), () => new TextEncoder().encode('inside'), { mode: 0o644, mtimeMs: 1_700_000_000_000 }, ctx);
    expect(await readFile(join(locked, 'a.txt'), 'utf8')).toBe('inside');
  });

  it('applies the exact mode when told to (root), and finishDir sets the exact mode and mtime at the end', async () => {
    const root = await makeTmpDir();
    const dest = new Destination(root, undefined, false);
    const exact = join(root, 'exact');
    await dest.makeDir(exact, { mode: 0o1750, mtimeMs: 1_700_000_000_000 }, ctx);
    expect((await stat(exact)).mode & 0o7777).toBe(0o1750);
    const writable = new Destination(root, undefined, true);
    const later = join(root, 'later');
    await writable.makeDir(later, { mode: 0o555, mtimeMs: 1_700_000_000_000 }, ctx);
    await writeFile(join(later, 'child'), 'x'); // changes the folder's mtime
    await writable.finishDir(later, 0o555, 1_700_000_000_000);
    const info = await stat(later);
    expect(info.mode & 0o7777).toBe(0o555);
    expect(info.mtimeMs).toBe(1_700_000_000_000);
  });
});
