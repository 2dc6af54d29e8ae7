// Periodic snapshots: the jittered delay stays within every ± jitter, passes never overlap and stop() waits for
// the one running. The inotify check: directories counted below excludes, and advice (how many watches, the
// sysctl line) only when the limit leaves too little room.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextDelayMs, Schedule } from '../../../src/service/schedule.js';
import { countDirectories, inotifyAdvice, readMaxUserWatches } from '../../../src/service/inotify.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('snapshot schedule', () => {
  it('moves each interval by up to the jitter either way', () => {
    expect(nextDelayMs(60_000, 6_000, () => 0)).toBe(54_000);
    expect(nextDelayMs(60_000, 6_000, () => 0.5)).toBe(60_000);
    expect(nextDelayMs(60_000, 6_000, () => 0.999_999)).toBe(66_000);
    expect(nextDelayMs(60_000, 0, Math.random)).toBe(60_000);
  });

  it('runs a pass at start, never two at once, and stop waits for the running one', async () => {
    let running = 0;
    let overlapped = false;
    let passes = 0;
    let finished = 0;
    const schedule = new Schedule(20, 5, async () => {
      running++;
      if (running > 1) overlapped = true;
      passes++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      running--;
      finished++;
    });
    schedule.start();
    await waitFor(() => passes >= 3, 'three passes');
    await schedule.stop();
    expect(overlapped).toBe(false);
    expect(finished).toBe(passes);
    const after = passes;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(passes).toBe(after);
  });
});

describe('inotify limit', () => {
  it('counts directories that are not excluded', async () => {
    const root = await makeTmpDir();
    for (const dir of ['a/b/c', 'a/d', 'node_modules/x/y', 'e']) await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, 'a', 'file.txt'), 'x');
    expect(await countDirectories(root, [])).toEqual({ count: 9, complete: true });
    expect(await countDirectories(root, ['node_modules/'])).toEqual({ count: 6, complete: true });
    expect(await countDirectories(root, [], 3)).toEqual({ count: 3, complete: false });
  });

  it('says how many watches are needed and how to raise the limit, only when it is too low', () => {
    expect(inotifyAdvice(1000, 8192)).toBeUndefined();
    expect(inotifyAdvice(1000, undefined)).toBeUndefined();
    const advice = inotifyAdvice(100_000, 65_536)!;
    expect(advice).toContain('100000 directories');
    expect(advice).toContain('fs.inotify.max_user_watches is 65536');
    expect(advice).toContain('sudo sysctl fs.inotify.max_user_watches=262144');
  });

  it('when a watcher ran out of watches, says so whatever the count, with room for the programs sharing the limit', () => {
    const advice = inotifyAdvice(1000, 8192, { hit: true })!;
    expect(advice).toMatch(/^out of inotify watches: the live folders have 1000 directories/);
    expect(advice).toContain('fs.inotify.max_user_watches is 8192 (shared with every other program of this user)');
    expect(advice).toContain('sudo sysctl fs.inotify.max_user_watches=16384');
    expect(inotifyAdvice(100_000, 65_536, { hit: true })).toContain('sudo sysctl fs.inotify.max_user_watches=262144');
    expect(inotifyAdvice(1000, undefined, { hit: true })).toBeUndefined();
  });

  it('reads the limit from a file like /proc/sys/fs/inotify/max_user_watches', async () => {
    const dir = await makeTmpDir();
    await writeFile(join(dir, 'limit'), '8192\n');
    await writeFile(join(dir, 'user-ns-limit'), '100\n');
    expect(await readMaxUserWatches(join(dir, 'limit'), join(dir, 'missing'))).toBe(8192);
    expect(await readMaxUserWatches(join(dir, 'missing'), join(dir, 'missing'))).toBeUndefined();
    // A container's user namespace may set a lower limit: that is the one a watcher meets.
    expect(await readMaxUserWatches(join(dir, 'limit'), join(dir, 'user-ns-limit'))).toBe(100);
  });
});
