import { describe, expect, it } from 'vitest';
import { pairRenames, type RenameCandidate } from '../../../src/watcher/rename-pairer.js';

const file = (path: string, contentId: string, extra: Partial<RenameCandidate> = {}): RenameCandidate => ({
  key: `r/${path}`, root: 'r', path, type: 'file', contentId, size: 10, ...extra,
});

describe('pairRenames', () => {
  it('pairs a vanished and an appeared file with the same content and size', () => {
    const result = pairRenames([file('a.txt', 'c1')], [file('sub/a.txt', 'c1')]);
    expect(result.pairs.map((p) => [p.gone.path, p.added.path])).toEqual([['a.txt', 'sub/a.txt']]);
    expect(result.gone).toEqual([]);
    expect(result.added).toEqual([]);
  });

  it('does not pair different content, different size, or different roots', () => {
    const result = pairRenames(
      [file('a', 'c1'), file('b', 'c2'), file('c', 'c3')],
      [file('x', 'c9'), file('y', 'c2', { size: 11 }), file('z', 'c3', { root: 'other', key: 'other/z' })],
    );
    expect(result.pairs).toEqual([]);
    expect(result.gone).toHaveLength(3);
    expect(result.added).toHaveLength(3);
  });

  it('prefers the same file name among equal contents (a folder moved whole)', () => {
    const result = pairRenames([file('old/b.txt', 'same'), file('old/a.txt', 'same')], [file('new/a.txt', 'same'), file('new/b.txt', 'same')]);
    expect(result.pairs.map((p) => [p.gone.path, p.added.path]).sort()).toEqual([
      ['old/a.txt', 'new/a.txt'],
      ['old/b.txt', 'new/b.txt'],
    ]);
  });

  it('prefers the same inode among equal contents', () => {
    const result = pairRenames([file('a', 'same', { ino: 5 })], [file('x', 'same', { ino: 9 }), file('y', 'same', { ino: 5 })]);
    expect(result.pairs[0]!.added.path).toBe('y');
  });

  it('never pairs a new file that merely reused a deleted file inode (regression: inode reuse)', () => {
    const result = pairRenames([file('deleted.txt', 'old', { ino: 42 })], [file('new.txt', 'new', { ino: 42 })]);
    expect(result.pairs).toEqual([]);
  });

  it('pairs directories by inode only, and symlinks by target', () => {
    const dir = (path: string, ino: number): RenameCandidate => ({ key: `r/${path}`, root: 'r', path, type: 'dir', size: 0, ino });
    const link = (path: string, target: string): RenameCandidate => ({ key: `r/${path}`, root: 'r', path, type: 'symlink', size: target.length, target });
    const result = pairRenames([dir('d1', 7), dir('d2', 8), link('l1', 'x')], [dir('e1', 7), dir('e2', 99), link('l2', 'x')]);
    expect(result.pairs.map((p) => [p.gone.path, p.added.path])).toEqual([
      ['d1', 'e1'],
      ['l1', 'l2'],
    ]);
    expect(result.gone.map((g) => g.path)).toEqual(['d2']);
  });

  it('uses each appeared entry at most once', () => {
    const result = pairRenames([file('a', 'c'), file('b', 'c')], [file('x', 'c')]);
    expect(result.pairs).toHaveLength(1);
    expect(result.gone).toHaveLength(1);
  });
});
