import { describe, expect, it } from 'vitest';
import { ApplyScheduler, keysOverlap } from '../../../src/receiver/apply-scheduler.js';

describe('keysOverlap', () => {
  it('overlaps on the same path, a folder and its contents, never on siblings sharing a prefix', () => {
    expect(keysOverlap('r/a', 'r/a')).toBe(true);
    expect(keysOverlap('r/a', 'r/a/b')).toBe(true);
    expect(keysOverlap('r/a/b/c', 'r/a')).toBe(true);
    expect(keysOverlap('r/a', 'r/ab')).toBe(false);
    expect(keysOverlap('r/ab/c', 'r/a')).toBe(false);
  });
});

describe('ApplyScheduler', () => {
  it('runs overlapping records in order and never reports a running or failed record as complete', async () => {
    const scheduler = new ApplyScheduler(4);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await scheduler.launch(0, 'r/a', async () => {
      await gate;
      order.push('a');
    });
    await scheduler.launch(1, 'r/b', async () => void order.push('b'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(scheduler.completedBelow(2)).toBe(0);
    const child = scheduler.launch(2, 'r/a/x', async () => void order.push('a/x'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['b']);
    release();
    await child;
    await scheduler.launch(3, 'r/c', async () => {
      throw new Error('disk full');
    });
    await expect(scheduler.drain()).rejects.toThrow('disk full');
    expect(order).toEqual(['b', 'a', 'a/x']);
    expect(scheduler.completedBelow(4)).toBe(3);
  });
});
