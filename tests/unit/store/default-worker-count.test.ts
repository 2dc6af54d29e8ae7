// The store's default worker count: one per core the load average leaves free, none on a saturated machine.
import { describe, expect, it } from 'vitest';
import { defaultWorkerCount } from '../../../src/store/index.js';
import { LIMITS } from '../../../src/util/limits.js';

describe('defaultWorkerCount', () => {
  it('gives every core to workers on an idle machine', () => {
    expect(defaultWorkerCount(2, 0)).toBe(2);
    expect(defaultWorkerCount(8, 0.2)).toBe(8);
  });

  it('leaves out the cores other work keeps busy', () => {
    expect(defaultWorkerCount(2, 0.7)).toBe(1);
    expect(defaultWorkerCount(2, 1.2)).toBe(1);
    expect(defaultWorkerCount(8, 3.4)).toBe(5);
  });

  it('starts none on a saturated machine (the calling thread does the work)', () => {
    expect(defaultWorkerCount(2, 1.6)).toBe(0);
    expect(defaultWorkerCount(2, 7)).toBe(0);
    expect(defaultWorkerCount(1, 1)).toBe(0);
  });

  it('never exceeds the store worker limit', () => {
    expect(defaultWorkerCount(64, 0)).toBe(LIMITS.storeWorkersMax);
  });
});
