// A taker SIGKILLed between writing its private temp and unlinking it leaves `LOCK.new-<pid>-<random>` beside the
// lock for good (seen after kill loops in the receiver's state folder). The next holder sweeps temps of dead pids and
// leaves a live taker's temp alone.
import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireFileLock } from '../../../src/log/index.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

/** A pid that was alive a moment ago and is certainly gone now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('lock temps left by killed takers', () => {
  it('the next holder removes a dead taker\'s LOCK.new-* temp and keeps a live one\'s', async () => {
    const dir = await makeTmpDir();
    const lockPath = join(dir, 'lock');
    const dead = `lock.new-${deadPid()}-0123456789ab`;
    const live = `lock.new-${process.ppid}-ba9876543210`; // the test runner's parent: alive for the whole test
    await writeFile(join(dir, dead), '{}\n');
    await writeFile(join(dir, live), '{}\n');
    const lock = await acquireFileLock(lockPath);
    try {
      expect((await readdir(dir)).sort()).toEqual(['lock', live].sort());
    } finally {
      await lock.release();
    }
    expect(await readdir(dir)).toEqual([live]);
  });
});
