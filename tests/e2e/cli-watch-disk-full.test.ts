// Issue 13 item 2 through the CLI, on a real full disk (a small tmpfs holds the log): `watch` says once that the
// disk is full and what waits, keeps every change, resumes by itself once space is freed, and a stop on a full disk
// still prints its summary (with what was not recorded) instead of failing.
import { rm, writeFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { CAN_MOUNT_TMPFS, mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

/** Watchers this file started: a test that fails before it stops its own leaves none running. */
const children: ReturnType<typeof spawnCli>[] = [];

function watchChild(args: string[]) {
  const child = spawnCli(args);
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => out.split('\n').slice(0, -1).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, exit, lines, stderr: () => err };
}

describe.runIf(CAN_MOUNT_TMPFS)('synclog watch with its log on a full disk (needs mount)', () => {
  let disk: SmallDisk | undefined;
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    disk?.unmount();
    disk = undefined;
  });

  it('says once that the disk is full, keeps the changes, and records them by itself once space is freed', async () => {
    disk = mountSmallDisk(3 * 1024 * 1024);
    const ballast = join(disk.dir, 'ballast');
    await writeFile(ballast, new Uint8Array(1024 * 1024));
    const data = join(await makeTmpDir(), 'data');
    await mkdir(data);
    const log = join(disk.dir, 'log');
    const w = watchChild(['watch', data, '--log', log, '--json']);
    await waitForLine(w.child, /"event":"ready"/);
    // Random bytes do not compress: 3 × 900 KiB cannot fit beside the ballast.
    for (const name of ['a.bin', 'b.bin', 'c.bin']) await writeFile(join(data, name), randomBytes(900 * 1024));
    await waitFor(() => w.lines().some((l) => l.event === 'error'), 'the disk-full error', 60_000, 100);
    // Several retries later it has still said it only once.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const name of ['d.txt', 'e.txt']) await writeFile(join(data, name), `small ${name}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const errors = w.lines().filter((l) => l.event === 'error');
    expect(errors).toHaveLength(1);
    const error = errors[0]!.error as { code: string; message: string; details: { waitingPaths: number } };
    expect(error.code).toBe('SYNCLOG_DISK_FULL');
    expect(error.message).toMatch(/disk is full.*wait to be recorded.*resumes by itself/);
    await rm(ballast);
    const recorded = () => new Set(w.lines().filter((l) => l.event === 'version' && l.type === 'file').map((l) => l.path as string));
    await waitFor(() => recorded().size === 5, 'all five files recorded after space returned', 60_000, 200);
    // 'resumed' is said once the last waiting path's batch has finished, which is after its version line is out.
    await waitFor(() => w.lines().some((l) => l.event === 'resumed'), 'the resumed event', 30_000, 100);
    w.child.kill('SIGINT');
    expect(await w.exit).toBe(0);
    const stopped = w.lines().find((l) => l.event === 'stopped') as { stats: { notRecorded: number } } | undefined;
    expect(stopped?.stats.notRecorded).toBe(0);
    const verify = await runCli(['verify', '--log', log]);
    expect(verify.code).toBe(0);
    // What the log holds is the folder: every byte of the files that waited.
    const tree = join(await makeTmpDir(), 'tree');
    const checkout = await runCli(['checkout', '--log', log, '--at', 'now', '--out', tree]);
    expect(checkout.code).toBe(0);
    expect(await snapshotTree(join(tree, 'data'))).toEqual(await snapshotTree(data));
  }, 180_000);

  it('a SIGINT while the disk is still full prints the summary with what was not recorded, and exits 1', async () => {
    disk = mountSmallDisk(2 * 1024 * 1024);
    const data = join(await makeTmpDir(), 'data');
    await mkdir(data);
    const log = join(disk.dir, 'log');
    const w = watchChild(['watch', data, '--log', log]);
    await waitForLine(w.child, /^ready:/m);
    for (const name of ['a.bin', 'b.bin', 'c.bin']) await writeFile(join(data, name), randomBytes(900 * 1024));
    await waitFor(() => /disk is full/.test(w.stderr()), 'the disk-full message', 60_000, 100);
    w.child.kill('SIGINT');
    expect(await w.exit).toBe(1);
    expect(w.stderr()).toMatch(/stopped: \d+ versions/);
    expect(w.stderr()).toMatch(/\d+ changes? (was|were) not recorded \(the log's disk was full\)/);
    expect(w.stderr().match(/disk is full/g)).toHaveLength(1);
    // The log itself is sound: nothing half written.
    const verify = await runCli(['verify', '--log', log]);
    expect(verify.code).toBe(0);
  }, 180_000);
});
