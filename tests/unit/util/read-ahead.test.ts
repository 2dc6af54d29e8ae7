import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { READ_AHEAD_ENTRY, ReadAhead, type ReadAheadLane } from '../../../src/util/read-ahead.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const started: ReadAhead[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map(async (readAhead) => readAhead.close()));
});

function readAhead(aheadBytesMax: number, fileBytesMax = 64 * 1024): ReadAhead {
  const made = new ReadAhead({ aheadBytesMax, fileBytesMax });
  started.push(made);
  return made;
}

function states(lane: ReadAheadLane): number[] {
  return [...new Int32Array(lane.message.state).subarray(1)];
}

async function files(dir: string, count: number, bytes: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `f${i}`);
    await writeFile(path, Buffer.alloc(bytes, i));
    paths.push(path);
  }
  return paths;
}

describe('ReadAhead', () => {
  it('warms regular files up to the size limit and passes over everything else, a FIFO included', async () => {
    const dir = await makeTmpDir();
    const [small, other] = await files(dir, 2, 100);
    const large = join(dir, 'large');
    await writeFile(large, Buffer.alloc(5000));
    await mkdir(join(dir, 'sub'));
    await symlink(small!, join(dir, 'link'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const paths = [join(dir, 'fifo'), small!, join(dir, 'sub'), join(dir, 'link'), large, join(dir, 'missing'), other!];
    const made = readAhead(1024 * 1024, 4096);
    const lane = made.lane(paths)!;
    // The FIFO is first: a worker that opened it blocking would never reach the files after it.
    await waitFor(() => states(lane)[6] === READ_AHEAD_ENTRY.warmed, 'the last file warmed');
    expect(states(lane)).toEqual([0, 1, 0, 0, 0, 0, 1].map((s) => (s === 1 ? READ_AHEAD_ENTRY.warmed : READ_AHEAD_ENTRY.queued)));
    expect(made.aheadBytes).toBe(200);
    lane.close();
    expect(made.aheadBytes).toBe(0);
    expect(states(lane).every((s) => s === READ_AHEAD_ENTRY.done)).toBe(true);
  });

  it('stays within its byte bound until the reader finishes with files, then goes on', async () => {
    const dir = await makeTmpDir();
    const paths = await files(dir, 20, 1000);
    const made = readAhead(3000);
    const lane = made.lane(paths)!;
    await waitFor(() => states(lane).filter((s) => s === READ_AHEAD_ENTRY.warmed).length >= 3, 'three files warmed');
    // Give the worker time to overrun the bound if it would.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(states(lane).filter((s) => s === READ_AHEAD_ENTRY.warmed)).toHaveLength(3);
    expect(made.aheadBytes).toBe(3000);
    for (let i = 0; i < 10; i++) lane.done(i);
    await waitFor(() => states(lane)[12] === READ_AHEAD_ENTRY.warmed, 'the worker to move on past the finished files');
    expect(made.aheadBytes).toBeLessThanOrEqual(3000);
    // Entries finished before the worker reached them were never warmed.
    expect(states(lane).slice(3, 10).every((s) => s === READ_AHEAD_ENTRY.done)).toBe(true);
    lane.close();
    expect(made.aheadBytes).toBe(0);
  });

  it('warms two lanes side by side, each in its order', async () => {
    const dir = await makeTmpDir();
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    const first = await files(join(dir, 'a'), 10, 1000);
    const second = await files(join(dir, 'b'), 10, 1000);
    const made = readAhead(4000);
    const laneA = made.lane(first)!;
    const laneB = made.lane(second)!;
    await waitFor(() => made.aheadBytes >= 4000, 'the bound reached');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const warmedA = states(laneA).filter((s) => s === READ_AHEAD_ENTRY.warmed).length;
    const warmedB = states(laneB).filter((s) => s === READ_AHEAD_ENTRY.warmed).length;
    // Neither lane starves: the worker took the lane least ahead of its reader each time.
    expect(warmedA + warmedB).toBe(4);
    expect(Math.abs(warmedA - warmedB)).toBeLessThanOrEqual(2);
    expect(states(laneA).slice(0, warmedA).every((s) => s === READ_AHEAD_ENTRY.warmed)).toBe(true);
    laneA.close();
    laneB.close();
    expect(made.aheadBytes).toBe(0);
  });

  it('close() ends a busy worker (waiting on its bound) and resolves', async () => {
    const dir = await makeTmpDir();
    const paths = await files(dir, 5, 1000);
    const made = new ReadAhead({ aheadBytesMax: 1000, fileBytesMax: 64 * 1024 });
    const lane = made.lane(paths)!;
    await waitFor(() => made.aheadBytes >= 1000, 'the bound reached');
    // Exit code 0: it ended by itself (terminate(), close()'s fallback, would give 1).
    expect(await made.close()).toBe(0);
    lane.close();
  });

  it('prepare() starts the worker before any lane: a lane then warms at once, and close() ends it', async () => {
    const dir = await makeTmpDir();
    const paths = await files(dir, 3, 10);
    const made = readAhead(1000);
    made.prepare();
    made.prepare(); // once is enough: a second call starts nothing more
    const lane = made.lane(paths)!;
    await waitFor(() => states(lane).every((s) => s === READ_AHEAD_ENTRY.warmed), 'all three warmed');
    lane.close();
    expect(await made.close()).toBe(0);
  });

  it('asks nothing of the reader once closed: a lane after close() is undefined', async () => {
    const made = readAhead(1000);
    await made.close();
    expect(made.lane(['/nonexistent'])).toBeUndefined();
  });
});
