// Retry delays while a server is away: exponential, capped, full jitter.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/net/backoff.js';

describe('Backoff', () => {
  it('grows exponentially up to the cap, with full jitter, and starts over after reset', () => {
    const top = new Backoff(250, 15_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => top.next())).toEqual([250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    top.reset();
    expect(top.next()).toBe(250);
    const low = new Backoff(250, 15_000, () => 0);
    expect(low.next()).toBe(10);
  });
});
