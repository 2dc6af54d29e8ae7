// Records a watcher never writes, fed straight to the receiver (no decode step in between): each is refused with an
// UnsafePathError naming the record, and nothing outside the destination is created or changed.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DestinationPaths } from '../../../src/receiver/destination-path.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { receive } from './fixtures.js';
import { MemoryLog } from './memory-log.js';

const HOSTILE: { name: string; root: string; path: string; reason: string }[] = [
  { name: 'dotdot', root: 'r', path: '../../escaped', reason: 'dotdot' },
  { name: 'dotdot-inside', root: 'r', path: 'a/../../../escaped', reason: 'dotdot' },
  { name: 'absolute', root: 'r', path: '/tmp/escaped', reason: 'absolute' },
  { name: 'nul', root: 'r', path: 'a\0b', reason: 'nul' },
  { name: 'backslash', root: 'r', path: '..\\..\\escaped', reason: 'backslash' },
  { name: 'root-dotdot', root: '..', path: 'escaped', reason: 'dotdot' },
  { name: 'root-with-slash', root: 'a/../..', path: 'escaped', reason: 'dotdot' },
  { name: 'root-reserved', root: '.synclog-receiver', path: 'cursor.json', reason: 'reserved' },
  { name: 'root-versions', root: '.versions', path: 'x', reason: 'reserved' },
  { name: 'empty-path', root: 'r', path: '', reason: 'empty' },
];

describe('hostile records', () => {
  for (const mode of ['latest', 'all-versions'] as const) {
    for (const attack of HOSTILE) {
      it(`${mode}: refuses ${attack.name}`, async () => {
        const parent = await makeTmpDir();
        const dest = join(parent, 'dest');
        await mkdir(dest);
        const log = new MemoryLog();
        log.file('ok', 'before', 'fine');
        const stored = log.file('r', 'placeholder', 'pwned');
        (stored.record as { root: string; path: string }).root = attack.root;
        (stored.record as { root: string; path: string }).path = attack.path;
        const error = await receive(log, dest, mode).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'SYNCLOG_UNSAFE_PATH', details: { reason: attack.reason, seq: 1, segment: '00000000000000000000.seg', offset: 164 } });
        expect((error as Error).message).toContain('record #1 (segment 00000000000000000000.seg, offset 164)');
        expect((await readdir(parent)).sort()).toEqual(['dest']);
      });
    }
  }
});

describe('symlink targets', () => {
  it('accepts only targets that resolve inside the destination', () => {
    const paths = new DestinationPaths('/dest');
    expect(paths.symlinkTargetInside('/dest/r/a/link', 'b.txt')).toBe(true);
    expect(paths.symlinkTargetInside('/dest/r/a/link', '../../other-root/x')).toBe(true);
    expect(paths.symlinkTargetInside('/dest/r/a/link', '/dest/r/x')).toBe(true);
    expect(paths.symlinkTargetInside('/dest/r/a/link', '..foo')).toBe(true);
    expect(paths.symlinkTargetInside('/dest/r/a/link', '../../../x')).toBe(false);
    expect(paths.symlinkTargetInside('/dest/r/a/link', '/etc/passwd')).toBe(false);
    expect(paths.symlinkTargetInside('/dest/r/a/link', '/destination-sibling')).toBe(false);
    expect(paths.symlinkTargetInside('/dest/r/a/link', '')).toBe(false);
  });
});
