// A peer that was away when a node started is caught up as soon as it comes up, not at the end of the node's
// backoff (docs/sync.md "Notify and catch-up"): node A starts with peer B's address while nothing listens there and
// backs off; once one of A's announced retries is far off (≥ 3 s), B starts (B follows A, so B's first request
// reaches A's server and wakes A's copy of B). A must hold B's record before that announced retry was due.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncNode, type SyncEvent } from '../../src/sync/index.js';
import { freePort } from '../helpers/sync-nodes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const LONG_RETRY_MS = 3_000;
let started: SyncNode[] = [];

afterEach(async () => {
  await Promise.all(started.map((n) => n.stop()));
  started = [];
});

describe('sync: a peer that comes up', () => {
  it('is copied from at once when its first request arrives, before the pending retry', async () => {
    const work = await makeTmpDir();
    const [portA, portB] = [await freePort(), await freePort()];
    await mkdir(join(work, 'a'));
    await mkdir(join(work, 'b'));
    await writeFile(join(work, 'b', 'hello.txt'), 'from b\n');
    const eventsA: { atMs: number; event: SyncEvent }[] = [];
    const a = await SyncNode.start({
      dir: join(work, 'a'), logDir: join(work, 'a.log'), peers: [`http://127.0.0.1:${portB}/`], port: portA, debounceMs: 50,
      onEvent: (event) => eventsA.push({ atMs: Date.now(), event }),
    });
    started.push(a);
    // Wait for a retry announced far ahead (the backoff grows: 250 ms doubling, jittered).
    const away = await waitFor(() => eventsA.find((e) => e.event.kind === 'peer-away' && e.event.delayMs >= LONG_RETRY_MS), 'a long backoff', 60_000, 20);
    const retryDueMs = away.atMs + (away.event.kind === 'peer-away' ? away.event.delayMs : 0);
    const b = await SyncNode.start({ dir: join(work, 'b'), logDir: join(work, 'b.log'), peers: [`http://127.0.0.1:${portA}/`], port: portB, debounceMs: 50 });
    started.push(b);
    await waitFor(() => eventsA.find((e) => e.event.kind === 'applied' && e.event.path === 'hello.txt'), "b's file on a", 60_000, 20);
    const appliedAtMs = eventsA.find((e) => e.event.kind === 'applied')!.atMs;
    expect(appliedAtMs).toBeLessThan(retryDueMs);
  }, 120_000);
});
