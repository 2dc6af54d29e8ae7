import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExcludeMatcher, readIgnoreFile } from '../../../src/watcher/excludes.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

describe('exclude matcher', () => {
  const m = createExcludeMatcher('/w/data', '/w/data/.synclog', ['*.tmp', 'node_modules', 'build/', '!keep.tmp']);

  it('applies gitignore patterns, including negation', () => {
    expect(m.excludesRelative('a.tmp')).toBe(true);
    expect(m.excludesRelative('deep/x/a.tmp')).toBe(true);
    expect(m.excludesRelative('keep.tmp')).toBe(false);
    expect(m.excludesRelative('a.txt')).toBe(false);
    expect(m.excludesRelative('node_modules')).toBe(true);
    expect(m.excludesRelative('node_modules/pkg/index.js')).toBe(true);
  });

  it('matches directory-only patterns against directories only', () => {
    expect(m.excludesRelative('build', true)).toBe(true);
    expect(m.excludesRelative('build', false)).toBe(false);
    expect(m.excludesRelative('build/out.js')).toBe(true);
  });

  it('is case-sensitive, like the file system', () => {
    expect(m.excludesRelative('A.TMP')).toBe(false);
  });

  it('always excludes the log directory inside the root, and synclog temp files', () => {
    expect(m.excludes('/w/data/.synclog', true)).toBe(true);
    expect(m.excludes('/w/data/.synclog/00000000000000000000.seg')).toBe(true);
    expect(m.excludes('/w/data/.synclogx')).toBe(false);
    expect(m.excludesRelative('dir/.a.txt.synclog-tmp-0a1b2c3d4e5f')).toBe(true);
  });

  it('never excludes the root itself', () => {
    expect(m.excludes('/w/data', true)).toBe(false);
  });

  it('excludes nothing for a log outside the root', () => {
    const outside = createExcludeMatcher('/w/data', '/w/data.synclog', []);
    expect(outside.excludes('/w/data/data.synclog')).toBe(false);
  });

  it('reads .synclogignore (missing file: no patterns)', async () => {
    const dir = await makeTmpDir();
    expect(await readIgnoreFile(dir)).toEqual([]);
    await writeFile(join(dir, '.synclogignore'), '# comment\n*.log\r\ncache/\n');
    const lines = await readIgnoreFile(dir);
    const fromFile = createExcludeMatcher(dir, join(dir, '..', 'log'), lines);
    expect(fromFile.excludesRelative('x.log')).toBe(true);
    expect(fromFile.excludesRelative('cache', true)).toBe(true);
    expect(fromFile.excludesRelative('# comment')).toBe(false);
  });
});
