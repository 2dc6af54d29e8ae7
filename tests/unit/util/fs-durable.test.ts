import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IoError } from '../../../src/errors.js';
import { TEMP_MARKER, tempNameFor, writeFileAtomic } from '../../../src/util/fs-durable.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

describe('writeFileAtomic', () => {
  it('writes bytes and streams, with the requested mode, and leaves no temp file', async () => {
    const dir = await makeTmpDir();
    const target = join(dir, 'a.txt');
    await writeFileAtomic(target, new TextEncoder().encode('hello'), { mode: 0o600 });
    expect(await readFile(target, 'utf8')).toBe('hello');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    async function* pieces() {
      yield new TextEncoder().encode('one ');
      yield new TextEncoder().encode('two');
    }
    await writeFileAtomic(target, pieces());
    expect(await readFile(target, 'utf8')).toBe('one two');
    expect((await readdir(dir)).filter((n) => n.includes(TEMP_MARKER))).toEqual([]);
  });

  it('leaves the old content and no temp file when the source fails midway', async () => {
    const dir = await makeTmpDir();
    const target = join(dir, 'keep.txt');
    await writeFile(target, 'original');
    async function* failing() {
      yield new TextEncoder().encode('partial');
      throw new Error('source broke');
    }
    await expect(writeFileAtomic(target, failing())).rejects.toBeInstanceOf(IoError);
    expect(await readFile(target, 'utf8')).toBe('original');
    expect((await readdir(dir)).filter((n) => n.includes(TEMP_MARKER))).toEqual([]);
  });

  it('reports a missing directory as a typed IoError with the path', async () => {
    const dir = await makeTmpDir();
    const target = join(dir, 'missing', 'x.txt');
    const error = await writeFileAtomic(target, new Uint8Array(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IoError);
    expect((error as IoError).details.path).toBe(target);
    expect((error as IoError).details.errno).toBe('ENOENT');
    await mkdir(join(dir, 'missing'));
  });
});

describe('tempNameFor', () => {
  const SWEEP = new RegExp(`^\\..*${TEMP_MARKER.replace(/[.-]/g, '\\$&')}[0-9a-f]{12}$`);
  it('keeps a short name whole', () => {
    expect(tempNameFor('a.txt', '0123456789ab')).toBe(`.a.txt${TEMP_MARKER}0123456789ab`);
  });

  it.each([
    ['255 ASCII bytes', 'n'.repeat(255)],
    ['two-byte characters up to 254 bytes', 'é'.repeat(127)],
    ['four-byte characters up to 252 bytes', '😀'.repeat(63)],
  ])('cuts a name of %s so the temp name fits one component, at a character boundary', (_label, name) => {
    const temp = tempNameFor(name, 'abcdef012345');
    expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255);
    expect(Buffer.byteLength(temp)).toBeGreaterThan(255 - 4);
    expect(temp).toMatch(SWEEP);
    expect(name.startsWith(temp.slice(1, temp.indexOf(TEMP_MARKER)))).toBe(true);
    expect(temp).not.toContain('\uFFFD');
  });

  it('lets writeFileAtomic write a file whose own name is 255 bytes', async () => {
    const dir = await makeTmpDir();
    const target = join(dir, 'x'.repeat(255));
    await writeFileAtomic(target, new TextEncoder().encode('long'));
    expect(await readFile(target, 'utf8')).toBe('long');
  });
});
