// The hostile-path gate: one named case per spelling an archive can use to leave its root.
import { describe, expect, it } from 'vitest';
import { archiveEntryPath, hardlinkTargetPath, symlinkTargetInside } from '../../../src/archive/archive-entry-path.js';
import { ArchiveError } from '../../../src/errors.js';
import { refusalReason } from './refusal.js';
import type { LogPath } from '../../../src/util/log-path.js';

const refusal = refusalReason;

describe('archiveEntryPath', () => {
  it('accepts plain relative names and tar spellings', () => {
    expect(archiveEntryPath('a/b.txt', 'x.tar')).toBe('a/b.txt');
    expect(archiveEntryPath('./a/b.txt', 'x.tar')).toBe('a/b.txt');
    expect(archiveEntryPath('dir/', 'x.tar')).toBe('dir');
    expect(archiveEntryPath('././dir//', 'x.tar')).toBe('dir');
  });

  it('returns undefined for the archive root itself', () => {
    expect(archiveEntryPath('./', 'x.tar')).toBeUndefined();
    expect(archiveEntryPath('.', 'x.tar')).toBeUndefined();
  });

  it('refuses dotdot anywhere', () => {
    expect(refusal(() => archiveEntryPath('../x', 'x.tar'))).toBe('dotdot');
    expect(refusal(() => archiveEntryPath('a/../../x', 'x.tar'))).toBe('dotdot');
    expect(refusal(() => archiveEntryPath('./..', 'x.tar'))).toBe('dotdot');
  });

  it('refuses absolute names, unix and windows', () => {
    expect(refusal(() => archiveEntryPath('/etc/passwd', 'x.tar'))).toBe('absolute');
    expect(refusal(() => archiveEntryPath('C:/x', 'x.tar'))).toBe('absolute');
  });

  it('refuses NUL, backslash and unnormalised names', () => {
    expect(refusal(() => archiveEntryPath('a\0b', 'x.tar'))).toBe('unsafe-path');
    expect(refusal(() => archiveEntryPath('a\\..\\b', 'x.tar'))).toBe('unsafe-path');
    expect(refusal(() => archiveEntryPath('a//b', 'x.tar'))).toBe('unsafe-path');
    expect(refusal(() => archiveEntryPath('a/./b', 'x.tar'))).toBe('unsafe-path');
  });

  it('names the archive and the entry in the error', () => {
    try {
      archiveEntryPath('../evil', 'bad.tar.gz');
    } catch (error) {
      expect((error as ArchiveError).details).toMatchObject({ archive: 'bad.tar.gz', entry: '../evil', reason: 'dotdot' });
      expect((error as Error).message).toContain('../evil');
    }
  });
});

describe('symlinkTargetInside', () => {
  const at = (p: string) => p as LogPath;
  it('accepts targets that stay inside', () => {
    expect(symlinkTargetInside(at('a/link'), 'b.txt')).toBe(true);
    expect(symlinkTargetInside(at('a/b/link'), '../../top.txt')).toBe(true);
    expect(symlinkTargetInside(at('a/link'), './x/../y')).toBe(true);
  });
  it('refuses targets that climb out or are absolute', () => {
    expect(symlinkTargetInside(at('link'), '../outside')).toBe(false);
    expect(symlinkTargetInside(at('a/link'), '../../outside')).toBe(false);
    expect(symlinkTargetInside(at('a/link'), '/etc/passwd')).toBe(false);
    expect(symlinkTargetInside(at('a/link'), '')).toBe(false);
    expect(symlinkTargetInside(at('a/link'), 'x/../../..')).toBe(false);
  });
});

describe('hardlinkTargetPath', () => {
  it('gates the target like an entry name', () => {
    expect(hardlinkTargetPath('b', './a.txt', 'x.tar')).toBe('a.txt');
    expect(refusal(() => hardlinkTargetPath('b', '../../etc/passwd', 'x.tar'))).toBe('hardlink-escape');
    expect(refusal(() => hardlinkTargetPath('b', '/etc/passwd', 'x.tar'))).toBe('hardlink-escape');
    expect(refusal(() => hardlinkTargetPath('b', './', 'x.tar'))).toBe('hardlink-escape');
  });
});
