import { describe, expect, it } from 'vitest';
import { WatchError } from '../../../src/errors.js';
import { createExcludeMatcher } from '../../../src/watcher/excludes.js';
import { LiveIndex, parentOf, watchErrorFor } from '../../../src/watcher/watch-roots.js';

const root = { name: 'data', path: '/w/data', matcher: createExcludeMatcher('/w/data', '/w/log', []), failed: false };
const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

describe('watchErrorFor', () => {
  it('names the inotify watch limit and its sysctl for ENOSPC', () => {
    const error = watchErrorFor(root, errno('ENOSPC'), false);
    expect(error).toBeInstanceOf(WatchError);
    expect(error.details).toMatchObject({ root: 'data', reason: 'watch-limit' });
    expect(String(error.details.fix)).toContain('fs.inotify.max_user_watches');
  });
  it('names ulimit and max_user_instances for EMFILE', () => {
    const error = watchErrorFor(root, errno('EMFILE'), false);
    expect(error.details.reason).toBe('handle-limit');
    expect(String(error.details.fix)).toMatch(/ulimit -n.*max_user_instances/);
  });
  it('suggests --poll for other failures unless already polling', () => {
    expect(String(watchErrorFor(root, errno('EIO'), false).details.fix)).toContain('--poll');
    expect(watchErrorFor(root, errno('EIO'), true).details.fix).toBeUndefined();
  });
});

describe('LiveIndex', () => {
  it('tracks live paths per directory through creates, deletes and moves', () => {
    const live = new LiveIndex();
    live.load({ paths: () => [
      { root: 'r', path: 'a', display: 'r/a', count: 1, deleted: false, latest: undefined as never },
      { root: 'r', path: 'a/x', display: 'r/a/x', count: 1, deleted: false, latest: undefined as never },
      { root: 'r', path: 'gone', display: 'r/gone', count: 2, deleted: true, latest: undefined as never },
    ] });
    expect(live.has('r', 'gone')).toBe(false);
    expect(live.children('r', '')).toEqual(['a']);
    live.apply({ root: 'r', path: 'b/x', change: 'renamed', renamedFrom: 'a/x' });
    expect(live.children('r', 'a')).toEqual([]);
    expect(live.children('r', 'b')).toEqual(['b/x']);
    live.apply({ root: 'r', path: 'a', change: 'deleted' });
    expect([...live.paths('r')]).toEqual(['b/x']);
    expect(live.below('r', 'b')).toEqual(['b/x']);
  });
  it('finds live files by content through creates, edits, moves and deletes', () => {
    const live = new LiveIndex();
    const c1 = 'ab'.repeat(32);
    const c2 = 'cd'.repeat(32);
    live.load({ paths: () => [
      { root: 'r', path: 'a', display: 'r/a', count: 1, deleted: false, latest: { record: { kind: 'version', type: 'file', contentId: Buffer.from(c1, 'hex') } } as never },
      { root: 'r', path: 'd', display: 'r/d', count: 1, deleted: false, latest: { record: { kind: 'version', type: 'dir' } } as never },
    ] });
    expect(live.filesWithContent('r', c1, 8)).toEqual(['a']);
    expect(live.filesWithContent('other', c1, 8)).toEqual([]);
    live.apply({ root: 'r', path: 'b', change: 'created', type: 'file', contentId: c1 });
    expect(live.filesWithContent('r', c1, 8).sort()).toEqual(['a', 'b']);
    expect(live.filesWithContent('r', c1, 1)).toHaveLength(1);
    live.apply({ root: 'r', path: 'a', change: 'modified', type: 'file', contentId: c2 });
    expect(live.filesWithContent('r', c1, 8)).toEqual(['b']);
    live.apply({ root: 'r', path: 'd/b', change: 'renamed', renamedFrom: 'b', type: 'file', contentId: c1 });
    expect(live.filesWithContent('r', c1, 8)).toEqual(['d/b']);
    live.apply({ root: 'r', path: 'd/b', change: 'deleted' });
    live.apply({ root: 'r', path: 'a', change: 'deleted' });
    expect(live.filesWithContent('r', c1, 8)).toEqual([]);
    expect(live.filesWithContent('r', c2, 8)).toEqual([]);
    expect([...live.paths('r')]).toEqual(['d']);
  });
  it('parentOf', () => {
    expect(parentOf('top')).toBe('');
    expect(parentOf('a/b/c')).toBe('a/b');
  });
});
