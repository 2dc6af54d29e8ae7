// Issue 13 item 8 and rough edges: watch's change line escapes names and shows no size for a deletion; the
// explorer's rows escape names too.
import { describe, expect, it } from 'vitest';
import { formatChangeLine } from '../../../src/cli/commands/watch.js';
import { formatHistoryLine } from '../../../src/cli/commands/history.js';

describe('watch change lines', () => {
  it('a deletion shows no size (it has none)', () => {
    expect(formatChangeLine({ change: 'deleted', display: 'w/y', root: 'w', type: 'file', size: 0 })).toBe('deleted  w/y');
    expect(formatChangeLine({ change: 'created', display: 'w/x', root: 'w', type: 'file', size: 2 })).toBe('created  w/x  2 B');
  });

  it('names are escaped: no raw ESC, no forged line', () => {
    const line = formatChangeLine({ change: 'renamed', display: 'w/a\u001b[2J', root: 'w', renamedFrom: 'b\ncreated  x', type: 'file', size: 1 });
    expect(line).toBe('renamed  "w/a\\x1b[2J" (from "w/b\\ncreated  x")  1 B');
  });
});

describe('log lines', () => {
  it('keep the path column on renames and escape owner names', () => {
    const base = { versionId: '01a234dc181b5e7d9eb9', timestamp: 0, type: 'file', size: 3, contentId: '0b8b60248fad00', owner: { name: 'root', uid: 0 } };
    const plain = formatHistoryLine({ ...base, event: 'created', path: 's/f' }, true);
    const moved = formatHistoryLine({ ...base, event: 'renamed', path: 's/g', renamedFrom: 's/f' }, true);
    const gone = formatHistoryLine({ ...base, event: 'deleted', path: 's/f', renamedTo: 's/g', owner: undefined }, true);
    expect(plain.indexOf('s/f')).toBe(moved.indexOf('s/g'));
    expect(gone.indexOf('s/f')).toBe(plain.indexOf('s/f'));
    expect(moved.endsWith('s/g (from s/f)')).toBe(true);
    expect(formatHistoryLine({ ...base, event: 'created', path: 's/f', owner: { name: 'evil\u001b', uid: 1 } })).toContain('"evil\\x1b"');
    expect(gone).not.toContain('0 B');
  });
});
