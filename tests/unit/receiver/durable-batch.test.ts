// Batched durability: the batch resolves its writers only after a sync that started after they staged, rejects them
// all when that sync fails (nothing of it is renamed), and the scheduler frees a parked record's slot, defers a
// folder's record behind its parked files, and closes the batch whenever it must wait for a parked record.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApplyScheduler } from '../../../src/receiver/apply-scheduler.js';
import { writeFileDurable } from '../../../src/receiver/atomic-file.js';
import { DurableBatch } from '../../../src/receiver/durable-batch.js';
import { FilesystemSync } from '../../../src/receiver/filesystem-sync.js';
import { RECEIVER_LIMITS } from '../../../src/util/limits.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const noHooks = { park: () => {}, unpark: () => {} };
const via = (batch: DurableBatch, seq: number) => ({ syncEachNow: () => batch.live, stage: (bytes: number) => batch.stage(seq, bytes) });

describe('DurableBatch', () => {
  it('renames only after the batch sync; a failed sync rejects the whole batch and leaves the targets alone', async () => {
    const dir = await makeTmpDir();
    const syncs: string[] = [];
    let fail = false;
    const batch = new DurableBatch(noHooks, async () => {
      syncs.push(dir);
      if (fail) throw new Error('EIO');
    });
    const a = join(dir, 'a.txt');
    const writing = writeFileDurable(a, new TextEncoder().encode('one'), 0o644, 1_000_000, via(batch, 1));
    // The temp is written and waits for the batch's sync: nothing at the target before it.
    await waitFor(async () => (await readdir(dir)).length === 1, 'the temp file to be written');
    expect(await readdir(dir).then((names) => names.includes('a.txt'))).toBe(false);
    await batch.flush();
    await writing;
    expect(syncs).toEqual([dir]);
    expect(await readFile(a, 'utf8')).toBe('one');

    await writeFile(join(dir, 'b.txt'), 'old');
    fail = true;
    const b = writeFileDurable(join(dir, 'b.txt'), new TextEncoder().encode('new'), 0o644, 1_000_000, via(batch, 2));
    const c = writeFileDurable(join(dir, 'c.txt'), new TextEncoder().encode('new'), 0o644, 1_000_000, via(batch, 3));
    // Both staged before the flush (a fixed 20 ms wait was not always enough on a loaded machine: the flush then
    // closed an empty batch and the two writes waited for one that never came).
    await waitFor(() => batch.staged === 2, 'both writes to be staged');
    await batch.flush();
    await expect(b).rejects.toThrow(/EIO/);
    await expect(c).rejects.toThrow(/EIO/);
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('old');
    expect((await readdir(dir)).sort()).toEqual(['a.txt', 'b.txt']); // temps removed, c never appeared
  });

  it('closes a batch by itself at batchFilesMax, and at once when eager (live)', async () => {
    let syncs = 0;
    const batch = new DurableBatch(noHooks, async () => void syncs++);
    const staged = Array.from({ length: RECEIVER_LIMITS.batchFilesMax }, (_, i) => batch.stage(i, 1));
    await Promise.all(staged);
    expect(syncs).toBe(1);
    batch.setEager(true);
    await batch.stage(9999, 1);
    expect(syncs).toBe(2);
    // Live and quiet: a write is fsynced alone and renamed at once, without waiting for a batch sync.
    const dir = await makeTmpDir();
    await writeFileDurable(join(dir, 'live.txt'), new TextEncoder().encode('x'), 0o644, 1_000_000, via(batch, 10_000));
    expect(syncs).toBe(2);
    expect(await readFile(join(dir, 'live.txt'), 'utf8')).toBe('x');
  });

  it('runs the real sync -f through one helper; a failing sync is an IoError; none without a folder', async () => {
    const dir = await makeTmpDir();
    const helper = await FilesystemSync.start(dir);
    expect(helper).toBeDefined();
    await Promise.all([helper!.sync(), helper!.sync(), helper!.sync()]);
    helper!.close();
    await expect(helper!.sync()).rejects.toMatchObject({ details: { op: 'syncfs' } });
    expect(await FilesystemSync.start(join(dir, 'missing'))).toBeUndefined();
  });
});

describe('ApplyScheduler with parked records', () => {
  it('frees a parked slot, defers a folder behind its parked files, and flushes when it must wait', async () => {
    const order: string[] = [];
    let flushes = 0;
    let batch!: DurableBatch;
    const scheduler = new ApplyScheduler(1, () => {
      flushes++;
      void batch.flush();
    });
    batch = new DurableBatch({ park: (seq) => scheduler.park(seq), unpark: (seq) => scheduler.unpark(seq) }, async () => {});
    const write = (seq: number, name: string) => async () => {
      await batch.stage(seq, 1);
      order.push(name);
    };
    // Concurrency 1, yet both files launch: the first is parked (waiting for the sync) and frees its slot.
    await scheduler.launch(0, 'r/d/a', write(0, 'd/a'));
    await scheduler.launch(1, 'r/d/b', write(1, 'd/b'));
    // The folder overlaps only parked records: deferred, and reading carries on without closing the batch.
    await scheduler.launch(2, 'r/d', async () => void order.push('d'));
    expect(flushes).toBe(0);
    expect(scheduler.completedBelow(3)).toBe(0);
    // A later write inside the folder overlaps the deferred record: the batch must close for it to go on.
    await scheduler.launch(3, 'r/d/c', async () => void order.push('d/c'));
    expect(flushes).toBeGreaterThan(0);
    await scheduler.drain();
    expect(order).toEqual(['d/a', 'd/b', 'd', 'd/c']);
    expect(scheduler.completedBelow(4)).toBe(4);
  });
});
