// The per-archive gate: types, duplicates, parents, links.
import { describe, expect, it } from 'vitest';
import { EntryGate } from '../../../src/archive/entry-gate.js';
import { refusalReason } from './refusal.js';

type H = Parameters<EntryGate['admit']>[0];
const file = (name: string, extra: Partial<H> = {}): H => ({ name, type: 'file', size: 3, mode: 0o100644, mtime: new Date(1000), ...extra });

const reason = refusalReason;

describe('EntryGate', () => {
  it('admits files, dirs, symlinks and hard links with their facts', () => {
    const gate = new EntryGate('x.tar');
    expect(gate.admit({ name: './', type: 'directory' })).toBeUndefined();
    expect(gate.admit({ name: 'd/', type: 'directory', mode: 0o40755 })).toMatchObject({ path: 'd', type: 'dir', mode: 0o755, size: 0 });
    expect(gate.admit(file('d/a.txt', { uname: 'me', uid: 7 }))).toMatchObject({ path: 'd/a.txt', type: 'file', size: 3, mode: 0o644, mtimeMs: 1000, owner: 'me', uid: 7 });
    expect(gate.admit({ name: 'd/l', type: 'symlink', linkname: 'a.txt' })).toMatchObject({ type: 'symlink', target: 'a.txt' });
    expect(gate.admit({ name: 'h', type: 'link', linkname: 'd/a.txt' })).toMatchObject({ type: 'hardlink', target: 'd/a.txt' });
  });

  it('refuses devices and fifos', () => {
    expect(reason(() => new EntryGate('x').admit({ name: 'null', type: 'character-device' }))).toBe('device');
    expect(reason(() => new EntryGate('x').admit({ name: 'sda', type: 'block-device' }))).toBe('device');
    expect(reason(() => new EntryGate('x').admit({ name: 'p', type: 'fifo' }))).toBe('fifo');
  });

  it('refuses a duplicate path, however it is spelled', () => {
    const gate = new EntryGate('x');
    gate.admit(file('a.txt'));
    expect(reason(() => gate.admit(file('./a.txt')))).toBe('duplicate-path');
  });

  it('refuses an entry below a file or through a symlink', () => {
    const gate = new EntryGate('x');
    gate.admit(file('f'));
    expect(reason(() => gate.admit(file('f/x')))).toBe('not-a-directory');
    gate.admit({ name: 'l', type: 'symlink', linkname: 'f' });
    expect(reason(() => gate.admit(file('l/x')))).toBe('through-symlink');
  });

  it('refuses escaping symlinks unless allowed', () => {
    expect(reason(() => new EntryGate('x').admit({ name: 'a/l', type: 'symlink', linkname: '../../etc' }))).toBe('symlink-escape');
    expect(reason(() => new EntryGate('x').admit({ name: 'l', type: 'symlink', linkname: '/etc' }))).toBe('symlink-escape');
    expect(new EntryGate('x', { allowEscapingSymlinks: true }).admit({ name: 'l', type: 'symlink', linkname: '/etc' })).toMatchObject({ target: '/etc' });
  });

  it('refuses hard links that escape, dangle or point at a non-file', () => {
    expect(reason(() => new EntryGate('x').admit({ name: 'h', type: 'link', linkname: '../etc/passwd' }))).toBe('hardlink-escape');
    expect(reason(() => new EntryGate('x').admit({ name: 'h', type: 'link', linkname: 'later.txt' }))).toBe('hardlink-unknown');
    const gate = new EntryGate('x');
    gate.admit({ name: 'd', type: 'directory' });
    expect(reason(() => gate.admit({ name: 'h', type: 'link', linkname: 'd' }))).toBe('hardlink-escape');
  });

  it('refuses a non-directory named like the archive root', () => {
    expect(reason(() => new EntryGate('x').admit(file('./')))).toBe('unsafe-path');
  });
});
