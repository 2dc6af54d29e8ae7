// What following readers learn at the end of a segment (src/log/tail-views.ts): one answer per segment file and change
// generation while the directory watch runs, read floor → listing → size; one still being read is shared with later
// generations under its own tag; a new one after each change or poll; never shared without the watch (nothing would
// say it went stale), and a failed read is not shared.
import { appendFile, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeSignal } from '../../../src/log/follow.js';
import { segmentFileName } from '../../../src/log/index.js';
import { TailViews } from '../../../src/log/tail-views.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

async function setUp() {
  const dir = await makeTmpDir();
  const path = join(dir, segmentFileName(0));
  await writeFile(path, 'x'.repeat(100));
  const handle = await open(path, 'r');
  const changes = new ChangeSignal(dir, true);
  let floorReads = 0;
  const views = new TailViews(dir, changes, () => ++floorReads);
  return { dir, path, handle, changes, views, floorReads: () => floorReads };
}

describe('TailViews', () => {
  it('shares one view per generation while watching, and reads a new one after a change', async () => {
    const { dir, path, handle, changes, views, floorReads } = await setUp();
    changes.enter();
    try {
      expect(changes.watching).toBe(true);
      const [a, b] = await Promise.all([views.view('1:1', handle), views.view('1:1', handle)]);
      expect(a).toBe(b);
      expect(floorReads()).toBe(1);
      expect(a).toMatchObject({ floor: 1, size: 100 });
      expect(a.segments.map((s) => s.baseSeq)).toEqual([0]);
      await appendFile(path, 'y'.repeat(20));
      await writeFile(join(dir, segmentFileName(5)), '');
      changes.bump(); // what the watch does for those writes (it may also have done so already)
      const c = await views.view('1:1', handle);
      expect(c).not.toBe(a);
      expect(c.size).toBe(120);
      expect(c.segments.map((s) => s.baseSeq)).toEqual([0, 5]);
      expect(await views.view('1:1', handle)).toBe(c);
    } finally {
      changes.leave();
      await handle.close();
    }
  });

  it('shares a view still being read with a later generation, tagged with the generation its reads began in', async () => {
    const { handle, changes, views, floorReads } = await setUp();
    changes.enter();
    try {
      const started = changes.generation;
      const first = views.view('1:1', handle);
      changes.bump(); // a change while it is read: a reader in the new generation shares it, and must not sleep on it
      const second = views.view('1:1', handle);
      expect(second).toBe(first);
      expect((await second).generation).toBe(started);
      expect(floorReads()).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      const third = await views.view('1:1', handle); // finished and of an older generation: read again
      expect(third.generation).toBe(changes.generation);
      expect(third.generation).toBeGreaterThan(started);
      expect(floorReads()).toBe(2);
    } finally {
      changes.leave();
      await handle.close();
    }
  });

  it('reads a new view after a fallback poll, where the watch may be silent (network mounts)', async () => {
    const { path, handle, changes, views } = await setUp();
    changes.enter();
    try {
      const before = await views.view('1:1', handle);
      // A change the watch does not report: a bump is not made by hand here.
      const generation = changes.generation;
      await changes.wait(generation, undefined, 10);
      expect(changes.generation).not.toBe(generation);
      await appendFile(path, 'w'.repeat(7));
      const after = await views.view('1:1', handle);
      expect(after).not.toBe(before);
      expect(after.size).toBe(107);
    } finally {
      changes.leave();
      await handle.close();
    }
  });

  it('reads its own view every time without the directory watch', async () => {
    const { handle, changes, views, floorReads } = await setUp();
    try {
      expect(changes.watching).toBe(false);
      const a = await views.view('1:1', handle);
      const b = await views.view('1:1', handle);
      expect(a).not.toBe(b);
      expect(floorReads()).toBe(2);
    } finally {
      await handle.close();
    }
  });

  it('does not share a failed read: the next reader reads again', async () => {
    const { path, handle, changes, views } = await setUp();
    changes.enter();
    const second = await open(path, 'r');
    try {
      await handle.close(); // its stat now fails, with nothing changed in the directory
      const generation = changes.generation;
      await expect(views.view('1:1', handle)).rejects.toThrow();
      const again = await views.view('1:1', second);
      expect(changes.generation).toBe(generation);
      expect(again.size).toBe(100);
    } finally {
      changes.leave();
      await second.close();
    }
  });
});
