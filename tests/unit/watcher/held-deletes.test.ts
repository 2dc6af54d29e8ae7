import { describe, expect, it } from 'vitest';
import { WATCH_LIMITS } from '../../../src/util/limits.js';
import type { Vanished } from '../../../src/watcher/batch-records.js';
import { HeldDeletes } from '../../../src/watcher/held-deletes.js';

const gone = (path: string): Vanished => ({ key: `r/${path}`, root: 'r', path, type: 'file', size: 1 });

describe('HeldDeletes', () => {
  it('holds a vanished entry for the rename window, then releases it as a tombstone', () => {
    const held = new HeldDeletes(100);
    expect(held.settle([gone('a')], [], 1000, 1000)).toEqual([]);
    expect(held.has('r/a')).toBe(true);
    expect(held.nextDueMs()).toBe(1100);
    // Still unpaired at the next batch, before the window ends: still held, same due time.
    expect(held.settle(held.candidates(), [], 1050, 1050)).toEqual([]);
    expect(held.nextDueMs()).toBe(1100);
    expect(held.settle(held.candidates(), [], 1100, 1100).map((g) => g.path)).toEqual(['a']);
    expect(held.nextDueMs()).toBeUndefined();
  });

  it('keeps a due entry while the caller releases only up to an earlier time (the pipeline is still busy)', () => {
    const held = new HeldDeletes(100);
    held.settle([gone('a')], [], 1000, 1000);
    expect(held.settle(held.candidates(), [], 1500, 1099)).toEqual([]);
    expect(held.has('r/a')).toBe(true);
    expect(held.settle(held.candidates(), [], 1500, 1500).map((g) => g.path)).toEqual(['a']);
  });

  it('drops entries that paired as moves or were looked at again, and releases all at once when forced', () => {
    const held = new HeldDeletes(100);
    held.settle([gone('a'), gone('b'), gone('c')], [], 0, 0);
    held.settle([], [gone('a')], 10, 10);
    held.forget('r/b');
    expect(held.candidates().map((g) => g.path)).toEqual(['c']);
    expect(held.settle(held.candidates(), [], 20, Infinity).map((g) => g.path)).toEqual(['c']);
  });

  it('releases at most one batch of tombstones at a time; the rest are due at once', () => {
    const held = new HeldDeletes(0);
    const many = Array.from({ length: WATCH_LIMITS.batchPathsMax + 5 }, (_, i) => gone(`f${i}`));
    expect(held.settle(many, [], 0, 0)).toHaveLength(WATCH_LIMITS.batchPathsMax);
    expect(held.nextDueMs()).toBe(0);
    expect(held.has(`r/f${WATCH_LIMITS.batchPathsMax}`)).toBe(true);
    expect(held.settle([], [], 1, 1)).toHaveLength(5);
    expect(held.nextDueMs()).toBeUndefined();
  });
});
