// Retry delays while a server is away: exponential, capped, full jitter; and the one retry loop every client uses
// (retrying/Outage): the classifier alone decides what is retried, and the outage gives up after giveUpAfterMs.
import { describe, expect, it } from 'vitest';
import { Backoff, Outage, retrying, type ErrorClassifier } from '../../../src/net/backoff.js';

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

class Passing extends Error {}
const classify: ErrorClassifier = (raw) => ({ error: new Error(`classified: ${(raw as Error).message}`), passing: raw instanceof Passing });

describe('retrying', () => {
  it('retries what the classifier calls passing, telling onRetry, and returns the first success', async () => {
    let calls = 0;
    const told: number[] = [];
    const value = await retrying(async () => {
      if (++calls < 3) throw new Passing(`away ${calls}`);
      return 'done';
    }, classify, { onRetry: (_error, _delayMs, attempt) => told.push(attempt) });
    expect(value).toBe('done');
    expect(told).toEqual([1, 2]);
  });

  it('throws the classified error at once when it is not passing', async () => {
    let calls = 0;
    await expect(retrying(async () => {
      calls++;
      throw new Error('refused');
    }, classify, {})).rejects.toThrow('classified: refused');
    expect(calls).toBe(1);
  });

  it('gives up once the outage has lasted giveUpAfterMs (0: after the first failure)', async () => {
    let calls = 0;
    await expect(retrying(async () => {
      calls++;
      throw new Passing('away');
    }, classify, { giveUpAfterMs: 0 })).rejects.toThrow('classified: away');
    expect(calls).toBe(1);
  });

  it('an outage counts from when the server went away, and over() starts the next one afresh', async () => {
    const told: number[] = [];
    const outage = new Outage({ giveUpAfterMs: 60_000, onRetry: (_e, _d, attempt) => told.push(attempt) });
    await outage.pause(new Error('a'));
    await outage.pause(new Error('b'));
    outage.over();
    await outage.pause(new Error('c'));
    expect(told).toEqual([1, 2, 1]);
    const short = new Outage({ giveUpAfterMs: 0 });
    await expect(short.pause(new Error('gone'))).rejects.toThrow('gone');
  });
});
