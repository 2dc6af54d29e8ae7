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
  it('parentOf', () => {
    expect(parentOf('top')).toBe('');
    expect(parentOf('a/b/c')).toBe('a/b');
  });
});
