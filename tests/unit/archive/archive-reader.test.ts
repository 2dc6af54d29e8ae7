// The archive reader on real files: gzip and plain tar, system tar output, broken streams, bomb limits.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../../src/archive/archive-reader.js';
import { ArchiveError } from '../../../src/errors.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { HOSTILE, buildTar, buildTarGz } from '../../fixtures/archives/build-archive.js';

async function list(file: string, options = {}): Promise<{ path: string; type: string; text?: string; target?: string }[]> {
  const out = [];
  for await (const { entry, body } of readArchive(file, options)) {
    let text: string | undefined;
    if (entry.type === 'file') {
      const pieces: Uint8Array[] = [];
      for await (const p of body) pieces.push(p);
      text = Buffer.concat(pieces).toString();
    }
    out.push({ path: entry.path, type: entry.type, ...(text !== undefined ? { text } : {}), ...(entry.target ? { target: entry.target } : {}) });
  }
  return out;
}
async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ArchiveError);
  return String((error as ArchiveError).details.reason);
}

describe('readArchive', () => {
  it('reads what system tar czf wrote, with ./ names, links and dirs', async () => {
    const dir = await makeTmpDir();
    const tree = join(dir, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await writeFile(join(tree, 'a.txt'), 'alpha');
    await writeFile(join(tree, 'sub', 'b.txt'), 'beta');
    await symlink('../a.txt', join(tree, 'sub', 'link'));
    const file = join(dir, 'tree.tar.gz');
    execFileSync('tar', ['czf', file, '-C', tree, '.']);
    const entries = await list(file);
    expect(entries.sort((x, y) => x.path.localeCompare(y.path))).toEqual([
      { path: 'a.txt', type: 'file', text: 'alpha' },
      { path: 'sub', type: 'dir' },
      { path: 'sub/b.txt', type: 'file', text: 'beta' },
      { path: 'sub/link', type: 'symlink', target: '../a.txt' },
    ]);
  });

  it('reads a plain uncompressed tar', async () => {
    const file = join(await makeTmpDir(), 'x.tar');
    await writeFile(file, await buildTar([{ name: 'x.txt', data: 'plain' }]));
    expect(await list(file)).toEqual([{ path: 'x.txt', type: 'file', text: 'plain' }]);
  });

  it('refuses every hostile fixture with its reason', async () => {
    const dir = await makeTmpDir();
    const expected: Record<string, string> = {
      dotdot: 'dotdot', absolute: 'absolute', 'symlink-escape': 'symlink-escape', 'symlink-absolute': 'symlink-escape',
      'through-symlink': 'through-symlink', 'hardlink-escape': 'hardlink-escape', 'hardlink-absolute': 'hardlink-escape',
      device: 'device', 'block-device': 'device', fifo: 'fifo', 'duplicate-path': 'duplicate-path',
    };
    for (const [name, entries] of Object.entries(HOSTILE)) {
      const file = join(dir, `${name}.tar.gz`);
      await writeFile(file, await buildTarGz(entries));
      expect([name, await reason(list(file))]).toEqual([name, expected[name]]);
    }
  });

  it('refuses a truncated gzip at several offsets', async () => {
    const dir = await makeTmpDir();
    const whole = await buildTarGz([{ name: 'a.txt', data: 'x'.repeat(100_000) }, { name: 'b.txt', data: Buffer.alloc(50_000, 7) }]);
    for (const at of [1, 5, 10, 50, Math.floor(whole.length / 2), whole.length - 8, whole.length - 1]) {
      const file = join(dir, `cut-${at}.tar.gz`);
      await writeFile(file, whole.subarray(0, at));
      expect([at, await reason(list(file))]).toEqual([at, 'truncated']);
    }
  });

  it('refuses corrupt gzip and corrupt tar', async () => {
    const dir = await makeTmpDir();
    const whole = await buildTarGz([{ name: 'a.txt', data: 'hello' }]);
    const flipped = Buffer.from(whole);
    flipped[20]! ^= 0xff;
    await writeFile(join(dir, 'flip.tar.gz'), flipped);
    expect(['corrupt-gzip', 'corrupt-tar']).toContain(await reason(list(join(dir, 'flip.tar.gz'))));
    await writeFile(join(dir, 'junk.tar.gz'), gzipSync(Buffer.alloc(1024, 0x41)));
    expect(await reason(list(join(dir, 'junk.tar.gz')))).toBe('corrupt-tar');
    await writeFile(join(dir, 'empty.tar'), '');
    expect(await reason(list(join(dir, 'empty.tar')))).toBe('truncated');
  });

  it('names bzip2, xz and zstd instead of calling them corrupt', async () => {
    const dir = await makeTmpDir();
    for (const [name, magic] of [['x.tar.bz2', 'BZh91AY&SY'], ['x.tar.xz', '\xfd7zXZ\x00'], ['x.tar.zst', '\x28\xb5\x2f\xfd']] as const) {
      await writeFile(join(dir, name), Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.alloc(100)]));
      expect([name, await reason(list(join(dir, name)))]).toEqual([name, 'unsupported-compression']);
    }
  });

  it('stops a size bomb and a ratio bomb', async () => {
    const dir = await makeTmpDir();
    const file = join(dir, 'zeros.tar.gz');
    await writeFile(file, await buildTarGz([{ name: 'zeros', data: Buffer.alloc(8 * 1024 * 1024) }]));
    expect(await reason(list(file, { maxBytes: 1024 * 1024 }))).toBe('bomb-size');
    expect(await reason(list(file, { maxRatio: 50 }))).toBe('bomb-ratio');
    // Zeros gzip at about 1000:1, right at the default ratio limit; a user who trusts the archive raises it.
    expect((await list(file, { maxRatio: 5000 }))[0]!.text!.length).toBe(8 * 1024 * 1024);
    expect((await readFile(file)).length).toBeLessThan(100_000);
  });
});
