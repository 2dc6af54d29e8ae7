// The one weight-bounded window: it never holds more than its bound once set() returns, drops the oldest first,
// treats a set of a present key as a replacement that makes it the newest, and a touching get likewise.
import { describe, expect, it } from 'vitest';
import { WeightedLru } from '../../../src/util/weighted-lru.js';

describe('WeightedLru', () => {
  it('drops the oldest entries until within its bound', () => {
    const lru = new WeightedLru<string, number>(10);
    lru.set('a', 1, 4);
    lru.set('b', 2, 4);
    lru.set('c', 3, 4);
    expect(lru.weight).toBe(8);
    expect(lru.has('a')).toBe(false);
    expect([lru.get('b'), lru.get('c')]).toEqual([2, 3]);
  });

  it('replaces a present key (its old weight gone) and makes it the newest; a touching get makes it the newest too', () => {
    const lru = new WeightedLru<string, number>(10);
    lru.set('a', 1, 3);
    lru.set('b', 2, 3);
    lru.set('a', 10, 5);
    expect(lru.weight).toBe(8);
    lru.set('c', 3, 2); // 10 in all: nothing goes
    expect(lru.weight).toBe(10);
    expect(lru.get('b', { touch: true })).toBe(2); // now a is the oldest
    lru.set('d', 4, 1);
    expect(lru.has('a')).toBe(false);
    expect(lru.has('b')).toBe(true);
    expect(lru.weight).toBe(6);
  });

  it('keeps nothing of an entry heavier than its bound, and delete gives back the weight', () => {
    const lru = new WeightedLru<string, number>(10);
    lru.set('a', 1, 4);
    lru.set('huge', 2, 11);
    expect(lru.weight).toBe(0);
    expect(lru.has('huge')).toBe(false);
    lru.set('b', 3, 6);
    expect(lru.delete('b')).toBe(true);
    expect(lru.delete('b')).toBe(false);
    expect(lru.weight).toBe(0);
  });
});
