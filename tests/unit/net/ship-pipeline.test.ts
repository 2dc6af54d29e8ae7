// The pusher's window of batches in flight (src/net/ship-pipeline.ts): prepares run ahead of commits, commits run in
// order one at a time, the window bounds what is in flight, and a failure stops every later commit.
import { describe, expect, it } from 'vitest';
import { ShipPipeline } from '../../../src/net/ship-pipeline.js';
import { deferred, type Deferred } from '../../../src/util/deferred.js';

/** Stages whose every step waits until the test lets it finish, and a log of what started when. */
function controlledStages() {
  const events: string[] = [];
  const prepares = new Map<number, Deferred<void>>();
  const commits = new Map<number, Deferred<void>>();
  const gate = (map: Map<number, Deferred<void>>, n: number) => {
    if (!map.has(n)) map.set(n, deferred());
    return map.get(n)!;
  };
  let committing = 0;
  let committingMax = 0;
  const stages = {
    prepare: async (n: number) => {
      events.push(`prepare ${n}`);
      await gate(prepares, n).promise;
      return n * 10;
    },
    commit: async (n: number, prepared: number) => {
      committing++;
      committingMax = Math.max(committingMax, committing);
      events.push(`commit ${n} (${prepared})`);
      try {
        await gate(commits, n).promise;
      } finally {
        committing--;
      }
    },
  };
  return { stages, events, prepare: (n: number) => gate(prepares, n), commit: (n: number) => gate(commits, n), committingMax: () => committingMax };
}

const turns = async (count = 5) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('ShipPipeline', () => {
  it('prepares the next batches while the oldest commit waits, and commits in order, one at a time', async () => {
    const c = controlledStages();
    const pipeline = new ShipPipeline<number, number>(c.stages, { batchesMax: 4, bytesMax: 1000 });
    for (const n of [1, 2, 3]) await pipeline.submit(n, 10);
    for (const n of [1, 2, 3]) c.prepare(n).resolve();
    await turns();
    // Commit 1 runs; 2 and 3 are prepared but wait for it.
    expect([...c.events].sort()).toEqual(['commit 1 (10)', 'prepare 1', 'prepare 2', 'prepare 3']);
    c.commit(2).resolve(); // finishing a later commit's gate early changes nothing: it has not started
    await turns();
    expect(c.events.filter((e) => e.startsWith('commit'))).toEqual(['commit 1 (10)']);
    c.commit(1).resolve();
    c.commit(3).resolve();
    await pipeline.drain();
    expect(c.events.filter((e) => e.startsWith('commit'))).toEqual(['commit 1 (10)', 'commit 2 (20)', 'commit 3 (30)']);
    expect(c.committingMax()).toBe(1);
  });

  it('a prepare starts only once the one before it finished', async () => {
    const c = controlledStages();
    const pipeline = new ShipPipeline<number, number>(c.stages, { batchesMax: 4, bytesMax: 1000 });
    await pipeline.submit(1, 10);
    await pipeline.submit(2, 10);
    await turns();
    expect(c.events).toEqual(['prepare 1']);
    c.prepare(1).resolve();
    await turns();
    expect(c.events).toEqual(['prepare 1', 'prepare 2', 'commit 1 (10)']);
    c.prepare(2).resolve();
    c.commit(1).resolve();
    c.commit(2).resolve();
    await pipeline.drain();
  });

  it('submit waits while batchesMax batches, or bytesMax bytes, are not yet committed', async () => {
    const c = controlledStages();
    const pipeline = new ShipPipeline<number, number>(c.stages, { batchesMax: 2, bytesMax: 100 });
    await pipeline.submit(1, 10);
    let returned = false;
    const second = pipeline.submit(2, 10).then(() => (returned = true));
    c.prepare(1).resolve();
    c.prepare(2).resolve();
    await turns();
    expect(returned).toBe(false); // two in flight: the window is full
    c.commit(1).resolve();
    await second;
    const big = controlledStages();
    const byBytes = new ShipPipeline<number, number>(big.stages, { batchesMax: 10, bytesMax: 100 });
    let bigReturned = false;
    const heavy = byBytes.submit(1, 150).then(() => (bigReturned = true)); // one batch beyond the bytes: waits for it alone
    big.prepare(1).resolve();
    await turns();
    expect(bigReturned).toBe(false);
    big.commit(1).resolve();
    await heavy;
    c.commit(2).resolve();
    await pipeline.drain();
  });

  it('after a failed commit no later batch commits; submit and drain reject with that failure; settled waits for all', async () => {
    const c = controlledStages();
    const pipeline = new ShipPipeline<number, number>(c.stages, { batchesMax: 4, bytesMax: 1000 });
    for (const n of [1, 2, 3]) await pipeline.submit(n, 10);
    for (const n of [1, 2]) c.prepare(n).resolve();
    await turns();
    c.commit(1).reject(new Error('server refused batch 1'));
    await expect(pipeline.drain()).rejects.toThrow('server refused batch 1');
    await expect(pipeline.submit(4, 10)).rejects.toThrow('server refused batch 1');
    let settled = false;
    const allSettled = pipeline.settled().then(() => (settled = true));
    await turns();
    expect(settled).toBe(false); // prepare 3 still runs
    c.prepare(3).resolve();
    await allSettled;
    expect(c.events.filter((e) => e.startsWith('commit'))).toEqual(['commit 1 (10)']);
    expect(c.events).not.toContain('prepare 4');
  });

  it('after a failed prepare no later prepare starts', async () => {
    const c = controlledStages();
    const pipeline = new ShipPipeline<number, number>(c.stages, { batchesMax: 4, bytesMax: 1000 });
    await pipeline.submit(1, 10);
    await pipeline.submit(2, 10);
    c.prepare(1).reject(new Error('lacks failed'));
    await expect(pipeline.drain()).rejects.toThrow('lacks failed');
    await pipeline.settled();
    expect(c.events).toEqual(['prepare 1']);
  });
});
