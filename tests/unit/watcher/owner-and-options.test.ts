import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { WATCH_LIMITS } from '../../../src/util/limits.js';
import { resolveWatcherOptions } from '../../../src/watcher/options.js';
import { OwnerLookup, parsePasswd } from '../../../src/watcher/owner.js';
import { parseSince } from '../../../src/watcher/since.js';

describe('owner lookup', () => {
  it('parses passwd lines, first entry per uid wins, comments skipped', () => {
    const names = parsePasswd('# c\nroot:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\ntoor:x:0:0::/:/bin/sh\nbad\n');
    expect(names.get(0)).toBe('root');
    expect(names.get(1000)).toBe('alice');
    expect(names.size).toBe(2);
  });

  it('names the current user even without a passwd file', () => {
    const lookup = new OwnerLookup('/nonexistent/passwd');
    expect(lookup.nameOf(process.getuid!())).toBeTypeOf('string');
    expect(lookup.nameOf(987_654)).toBeUndefined();
  });
});

describe('resolveWatcherOptions', () => {
  it('fills defaults and resolves paths', () => {
    const o = resolveWatcherOptions({ watchPath: './data' });
    expect(o.rootPaths).toEqual([process.cwd() + '/data']);
    expect(o.logPath).toBe(process.cwd() + '/data.synclog');
    expect(o.debounceMs).toBe(WATCH_LIMITS.debounceMsDefault);
    expect(o.renameWindowMs).toBe(o.debounceMs);
    expect(o.initialScan).toBe(true);
  });

  it('merges watchPath and watchPaths without duplicates', () => {
    expect(resolveWatcherOptions({ watchPath: '/a', watchPaths: ['/b', '/a'] }).rootPaths).toEqual(['/a', '/b']);
  });

  it('refuses no roots and negative times', () => {
    expect(() => resolveWatcherOptions({})).toThrow(UsageError);
    expect(() => resolveWatcherOptions({ watchPath: '/a', debounceMs: -1 })).toThrow(UsageError);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2024-05-10T12:00:00Z');
  it('accepts ages', () => {
    expect(parseSince('2h', now)).toBe(now - 2 * 3_600_000);
    expect(parseSince('3d', now)).toBe(now - 3 * 86_400_000);
    expect(parseSince('30m', now)).toBe(now - 30 * 60_000);
  });
  it('accepts ISO 8601', () => {
    expect(parseSince('2024-05-01T00:00:00Z', now)).toBe(Date.parse('2024-05-01T00:00:00Z'));
    expect(parseSince('2024-05-01', now)).toBe(Date.parse('2024-05-01'));
  });
  it('accepts the same friendly forms as every other command', () => {
    expect(parseSince('yesterday', now)).toBe(now - 86_400_000);
    expect(parseSince('2h ago', now)).toBe(now - 2 * 3_600_000);
  });
  it('refuses anything else', () => {
    expect(() => parseSince('soon', now)).toThrow(UsageError);
    expect(() => parseSince('2 fortnights', now)).toThrow(UsageError);
    expect(() => parseSince('May 1', now)).toThrow(/--since/);
  });
});
