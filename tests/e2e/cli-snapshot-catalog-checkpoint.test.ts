// `synclog snapshot` with the catalog checkpoint (store.catalog): the first snapshot of a tree big enough writes it,
// a rescan starts from it, and a damaged or missing one is not trusted: the snapshot still finds exactly what
// changed.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

interface Summary {
  ok: boolean;
  created: number;
  modified: number;
  versions: number;
}

async function snapshot(data: string, log: string): Promise<Summary> {
  const result = await runCli(['snapshot', data, '--log', log, '--json'], { timeoutMs: 90_000 });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Summary;
}

async function history(log: string, path: string): Promise<unknown> {
  const result = await runCli(['history', path, '--log', log, '--json'], { timeoutMs: 60_000 });
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe('synclog snapshot and the catalog checkpoint', () => {
  it('writes it, rescans from it, and does not trust a damaged one', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    const log = join(dir, 'log');
    await mkdir(data, { recursive: true });
    // More than catalogCheckpointEveryBytes (4 MiB) of incompressible content, so the first snapshot saves it.
    for (let i = 0; i < 24; i++) await writeFile(join(data, `f${i}.bin`), randomBytes(256 * 1024));
    expect((await snapshot(data, log)).created).toBe(24);
    const checkpoint = join(log, 'store.catalog');
    const saved = await readFile(checkpoint);
    expect(saved.subarray(0, 8).toString()).toBe('SLCATLG1');

    // A rescan from the checkpoint: nothing changed.
    expect((await snapshot(data, log)).versions).toBe(0);

    // Damage the checkpoint and change a file: the snapshot replays the log and records exactly that change.
    const damaged = Buffer.from(saved);
    damaged[damaged.length >> 1]! ^= 0xff;
    await writeFile(checkpoint, damaged);
    await writeFile(join(data, 'f3.bin'), randomBytes(1000));
    const after = await snapshot(data, log);
    expect(after.modified).toBe(1);
    expect(after.versions).toBe(1);

    // The log holds both versions of f3 (history replays the segments); a rescan after one more snapshot without
    // any checkpoint finds nothing new either.
    expect((await history(log, 'data/f3.bin')) as unknown[]).toHaveLength(2);
    await rm(checkpoint, { force: true });
    expect((await snapshot(data, log)).versions).toBe(0);
  });
});
