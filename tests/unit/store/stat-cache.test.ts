// The stat cache: exact stat match or a miss, racily-clean entries miss, the file round-trips and a damaged one is
// ignored (any doubt = re-hash).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatCache, hashContent } from '../../../src/store/index.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const content = { contentId: hashContent(new Uint8Array([1])), chunks: [{ id: hashContent(new Uint8Array([1])), size: 1 }], size: 1 };
const old = Date.now() - 60_000;
const stat = { size: 1, mtimeMs: old, ctimeMs: old, ino: 42 };

describe('stat cache', () => {
  it('answers only when every stat fact matches', () => {
    const cache = new StatCache('/nonexistent/cache', false);
    cache.set('r', 'a.txt', stat, content);
    expect(cache.get('r', 'a.txt', stat)).toEqual(content);
    expect(cache.get('r', 'b.txt', stat)).toBeUndefined();
    expect(cache.get('other', 'a.txt', stat)).toBeUndefined();
    for (const change of [{ size: 2 }, { mtimeMs: old + 1 }, { ctimeMs: old + 0.5 }, { ino: 43 }]) {
      expect(cache.get('r', 'a.txt', { ...stat, ...change })).toBeUndefined();
    }
    cache.delete('r', 'a.txt');
    expect(cache.get('r', 'a.txt', stat)).toBeUndefined();
  });

  it('contentIdOf answers by the same rule as get (what a scan asks)', () => {
    const cache = new StatCache('/nonexistent/cache', false);
    cache.set('r', 'a.txt', stat, content);
    expect(cache.contentIdOf('r', 'a.txt', stat)).toEqual(content.contentId);
    expect(cache.contentIdOf('r', 'b.txt', stat)).toBeUndefined();
    for (const change of [{ size: 2 }, { mtimeMs: old + 1 }, { ctimeMs: old + 0.5 }, { ino: 43 }]) {
      expect(cache.contentIdOf('r', 'a.txt', { ...stat, ...change })).toBeUndefined();
    }
    const now = Date.now();
    cache.set('r', 'fresh', { size: 1, mtimeMs: now - 10, ctimeMs: now - 10, ino: 1 }, content);
    expect(cache.contentIdOf('r', 'fresh', { size: 1, mtimeMs: now - 10, ctimeMs: now - 10, ino: 1 })).toBeUndefined();
  });

  it('does not trust a file changed within the racy window before it was read', () => {
    const cache = new StatCache('/nonexistent/cache', false);
    const now = Date.now();
    cache.set('r', 'fresh', { size: 1, mtimeMs: now - 10, ctimeMs: now - 10, ino: 1 }, content);
    expect(cache.get('r', 'fresh', { size: 1, mtimeMs: now - 10, ctimeMs: now - 10, ino: 1 })).toBeUndefined();
    // observedAtMs (when the read started) counts, not when set() was called.
    cache.set('r', 'slow', { ...stat, observedAtMs: old + 100 }, content);
    expect(cache.get('r', 'slow', stat)).toBeUndefined();
  });

  it('saves atomically and loads back; a damaged or foreign file loads empty', async () => {
    const dir = await makeTmpDir();
    const file = join(dir, 'store.stat-cache');
    const cache = new StatCache(file, false);
    cache.set('r', 'a.txt', stat, content);
    await cache.save();
    const loaded = new StatCache(file, false);
    await loaded.load();
    expect(loaded.loadProblem).toBeUndefined();
    expect(loaded.get('r', 'a.txt', stat)).toEqual(content);

    const bytes = await readFile(file);
    bytes[bytes.length - 20]! ^= 0x40;
    await writeFile(file, bytes);
    const damaged = new StatCache(file, false);
    await damaged.load();
    expect(damaged.loadProblem).toMatch(/checksum/);
    expect(damaged.size).toBe(0);

    await writeFile(file, 'not a cache');
    const foreign = new StatCache(file, false);
    await foreign.load();
    expect(foreign.loadProblem).toMatch(/not a stat cache/);

    const missing = new StatCache(join(dir, 'none'), false);
    await missing.load();
    expect(missing.loadProblem).toBe('missing');
  });

  it('never writes when read-only', async () => {
    const dir = await makeTmpDir();
    const cache = new StatCache(join(dir, 'c'), true);
    cache.set('r', 'a', stat, content);
    await cache.save();
    await expect(readFile(join(dir, 'c'))).rejects.toThrow(/ENOENT/);
  });
});
