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

describe('ApplyScheduler overlap index', () => {
  it('never runs two overlapping records at once and keeps their log order (random trees, parks included)', async () => {
    const fc = await import('fast-check');
    const key = fc.constantFrom('r/a', 'r/a/b', 'r/a/b/c', 'r/ab', 'r/ab/c', 'r/b', 'r/b/a', 's/a', 's', 'r');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, fc.boolean(), fc.nat(3)), { minLength: 1, maxLength: 40 }), async (plan) => {
        const parked: (() => void)[] = [];
        const scheduler = new ApplyScheduler(3, () => parked.splice(0).forEach((go) => go()));
        const active = new Set<string>();
        const done: number[][] = [];
        let violation = '';
        for (const [seq, [k, park, ticks]] of plan.entries()) {
          await scheduler.launch(seq, k, async () => {
            for (const other of active) if (keysOverlap(other, k)) violation ||= `${k} ran with ${other}`;
            active.add(k);
            for (let i = 0; i < ticks; i++) await Promise.resolve();
            if (park) {
              scheduler.park(seq);
              await new Promise<void>((resolve) => parked.push(resolve));
              scheduler.unpark(seq);
            }
            active.delete(k);
            done.push([seq, ...plan.slice(0, seq).flatMap(([earlier], i) => (keysOverlap(earlier, k) ? [i] : []))]);
          });
        }
        await scheduler.drain();
        expect(violation).toBe('');
        const finishedAt = new Map(done.map(([seq], at) => [seq!, at]));
        // Every record finished after each earlier record whose path overlaps it.
        for (const [seq, ...earlier] of done) for (const e of earlier) expect(finishedAt.get(e)!).toBeLessThan(finishedAt.get(seq!)!);
        expect(scheduler.completedBelow(plan.length)).toBe(plan.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ApplyScheduler batch closing', () => {
  it('closes the batch only once every running record waits for it (one sync, not one per wake)', async () => {
    const parked: (() => void)[] = [];
    let flushes = 0;
    // Counts batches that had something in them (DurableBatch.flush of an empty batch starts no sync).
    const scheduler = new ApplyScheduler(8, () => {
      if (parked.length > 0) flushes++;
      parked.splice(0).forEach((go) => go());
    });
    const parkingTask = (seq: number, before?: Promise<void>) => async () => {
      await before;
      scheduler.park(seq);
      await new Promise<void>((resolve) => parked.push(resolve));
      scheduler.unpark(seq);
    };
    for (let seq = 0; seq < 3; seq++) await scheduler.launch(seq, `r/d/f${seq}`, parkingTask(seq));
    let releaseSlow!: () => void;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    await scheduler.launch(3, 'r/d/slow', parkingTask(3, slow));
    // The folder's version overlaps three parked files and one still writing: it waits, and nothing is flushed yet.
    let folderRan = false;
    const folder = scheduler.launch(4, 'r/d', async () => void (folderRan = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(flushes).toBe(0);
    releaseSlow();
    await folder; // every blocker now parked: the folder is deferred, reading goes on
    expect(folderRan).toBe(false);
    await scheduler.drain();
    expect(folderRan).toBe(true);
    expect(flushes).toBe(1);
    expect(scheduler.completedBelow(5)).toBe(5);
  });
});
