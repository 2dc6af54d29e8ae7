// The scan decides what to look at from stat facts against a catalog-like interface; these tests use a fake catalog
// and stat cache over a real temp directory.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VersionRecord } from '../../../src/record/index.js';
import type { LogPath } from '../../../src/util/log-path.js';
import { createExcludeMatcher } from '../../../src/watcher/excludes.js';
import { mayDiffer, scanRoot } from '../../../src/watcher/scan.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const id = (n: number) => new Uint8Array(32).fill(n);

function version(path: string, type: VersionRecord['type'], extra: Partial<VersionRecord> = {}): VersionRecord {
  return {
    kind: 'version', versionId: '0'.repeat(20), time: 0, root: 'r', path: path as LogPath, type, event: 'created',
    size: 0, mtimeMs: 0, mode: 0o644, uid: 0, gid: 0, ...extra,
  };
}

describe('mayDiffer', () => {
  it('is true for unknown paths and type changes', () => {
    expect(mayDiffer(undefined, { mode: 0o100644 }, 'file', undefined)).toBe(true);
    expect(mayDiffer(version('a', 'dir', { mode: 0o755 }), { mode: 0o100755 }, 'file', undefined)).toBe(true);
  });
  it('is false for a live directory with the same mode, true when the mode changed', () => {
    expect(mayDiffer(version('d', 'dir', { mode: 0o755 }), { mode: 0o40755 }, 'dir', undefined)).toBe(false);
    expect(mayDiffer(version('d', 'dir', { mode: 0o755 }), { mode: 0o40700 }, 'dir', undefined)).toBe(true);
  });
  it('trusts a file only when the stat cache knows its content and it is the latest', () => {
    const live = version('f', 'file', { contentId: id(1), chunks: [] });
    expect(mayDiffer(live, { mode: 0o100644 }, 'file', id(1))).toBe(false);
    expect(mayDiffer(live, { mode: 0o100644 }, 'file', id(2))).toBe(true);
    expect(mayDiffer(live, { mode: 0o100644 }, 'file', undefined)).toBe(true);
  });
  it('compares symlink targets', () => {
    const live = version('l', 'symlink', { target: 'a', mode: 0o777 });
    expect(mayDiffer(live, { mode: 0o120777 }, 'symlink', undefined, 'a')).toBe(false);
    expect(mayDiffer(live, { mode: 0o120777 }, 'symlink', undefined, 'b')).toBe(true);
  });
});

describe('scanRoot', () => {
  // Synchronous file calls (local filesystems) and thread-pool ones (--poll, network mounts) must see the same.
  it.each([true, false])('reports new, changed and vanished paths and skips unchanged and excluded ones (sync calls: %s)', async (syncFileCalls) => {
    const root = await makeTmpDir();
    await mkdir(join(root, 'd'));
    await writeFile(join(root, 'd', 'same.txt'), 'same');
    await writeFile(join(root, 'new.txt'), 'new');
    await writeFile(join(root, 'changed.txt'), 'changed');
    await writeFile(join(root, 'skip.tmp'), 'x');
    await symlink('new.txt', join(root, 'link'));
    const catalog = new Map<string, VersionRecord>([
      ['d', version('d', 'dir', { mode: 0o755 })],
      ['d/same.txt', version('d/same.txt', 'file', { contentId: id(1), chunks: [] })],
      ['changed.txt', version('changed.txt', 'file', { contentId: id(2), chunks: [] })],
      ['gone.txt', version('gone.txt', 'file', { contentId: id(3), chunks: [] })],
      ['skip.tmp', version('skip.tmp', 'file', { contentId: id(4), chunks: [] })],
    ]);
    const changed: string[] = [];
    const inodes = new Map<string, number>();
    const result = await scanRoot(
      { name: 'r', path: root, matcher: createExcludeMatcher(root, join(root, '..', 'log'), ['*.tmp']) },
      {
        syncFileCalls,
        latest: (_r, p) => {
          const record = catalog.get(p);
          return record ? { record, seq: 0, segment: 's', offset: 0 } : undefined;
        },
        // The cache knows d/same.txt as content 1 and changed.txt as an older content.
        statCache: { contentIdOf: (_r, p) => (p === 'd/same.txt' ? id(1) : p === 'changed.txt' ? id(9) : undefined) },
        livePaths: () => catalog.keys(),
        changed: (p) => changed.push(p),
        inode: (p, ino) => inodes.set(p, ino),
        progress: () => {},
        error: (e) => {
          throw e;
        },
      },
    );
    // d has mode 0o755 only if the umask allows; compare with what is on disk.
    const expected = ['changed.txt', 'gone.txt', 'link', 'new.txt'];
    expect(changed.filter((p) => p !== 'd').sort()).toEqual(expected);
    expect(result.entriesSeen).toBe(5);
    expect(inodes.has('d/same.txt')).toBe(true);
    expect(inodes.has('skip.tmp')).toBe(false);
  });
});
