import { describe, expect, it } from 'vitest';
import { SettleQueue } from '../../../src/watcher/settle-queue.js';

describe('SettleQueue', () => {
  it('returns a key only after it has been quiet for the debounce time', () => {
    const q = new SettleQueue<string>(100, 1000);
    q.touch('a', 0, 1);
    expect(q.takeDue(99, 10)).toEqual([]);
    expect(q.nextDueMs()).toBe(100);
    expect(q.takeDue(100, 10)).toEqual(['a']);
    expect(q.size).toBe(0);
  });

  it('coalesces repeated events for one key into one due key, timed from the last event', () => {
    const q = new SettleQueue<string>(100, 1000);
    q.touch('a', 0, 1);
    q.touch('b', 10, 2);
    q.touch('a', 50, 3);
    expect(q.takeDue(110, 10)).toEqual(['b']);
    expect(q.takeDue(149, 10)).toEqual([]);
    expect(q.takeDue(150, 10)).toEqual(['a']);
  });

  it('releases a key that never goes quiet once it has waited settleWaitMsMax', () => {
    const q = new SettleQueue<string>(100, 300);
    for (let t = 0; t <= 250; t += 50) q.touch('busy', t, t + 1);
    expect(q.takeDue(299, 10)).toEqual([]);
    expect(q.takeDue(300, 10)).toEqual(['busy']);
  });

  it('respects the batch size and keeps the rest for later', () => {
    const q = new SettleQueue<number>(10, 100);
    for (let i = 0; i < 5; i++) q.touch(i, i, i + 1);
    expect(q.takeDue(1000, 2)).toEqual([0, 1]);
    expect(q.takeDue(1000, 10)).toEqual([2, 3, 4]);
  });

  it('takeAll ignores deadlines; remove forgets a key', () => {
    const q = new SettleQueue<string>(100, 1000);
    q.touch('a', 0, 1);
    q.touch('b', 0, 2);
    q.remove('a');
    expect(q.has('a')).toBe(false);
    expect(q.takeAll(10)).toEqual(['b']);
    expect(q.nextDueMs()).toBeUndefined();
  });

  it('reports the oldest unprocessed ticket (what flush waits for)', () => {
    const q = new SettleQueue<string>(100, 1000);
    expect(q.oldestTicket()).toBeUndefined();
    q.touch('a', 0, 7);
    q.touch('b', 1, 8);
    q.touch('a', 2, 9);
    expect(q.oldestTicket()).toBe(7);
    q.takeDue(101, 1);
    expect(q.oldestTicket()).toBe(7);
    expect(q.takeDue(102, 10)).toEqual(['a']);
    expect(q.oldestTicket()).toBeUndefined();
  });
});
