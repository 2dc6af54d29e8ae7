// A receiver following a log while `synclog prune` rewrites it ends exact: it keeps going from its cursor on the
// new segments (seqs are kept), misses no kept version and applies none twice, including a version added after
// the prune whose content dedups to a chunk that the prune moved (its old position no longer holds).
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRetentionLog } from '../helpers/retention-log.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';
import { seededBytes } from '../helpers/seeded-bytes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const BYTES = 48 * 1024;
const PATHS = 4;

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (code) => resolve(code))));
}

async function treeIs(out: string, seeds: number[]): Promise<boolean> {
  for (let p = 0; p < PATHS; p++) {
    const bytes = await readFile(join(out, 'r', `f${p}.bin`)).catch(() => undefined);
    if (!bytes || !bytes.equals(Buffer.from(seededBytes(BYTES, seeds[p]!)))) return false;
  }
  return true;
}

describe('a receiver across a prune', () => {
  it('ends exact while prune runs and after it, with a dedup onto a moved chunk', { timeout: 240_000 }, async () => {
    const work = await makeTmpDir();
    const logDir = join(work, 'log');
    const out = join(work, 'out');
    await buildRetentionLog(logDir, { paths: PATHS, versions: 10, bytes: BYTES, segmentBytesMax: 128 * 1024 });
    expect((await runCli(['forget', '--log', logDir, '--keep-last', '2'])).code).toBe(0);
    const receiver = spawnCli(['receive', '--log', logDir, '--out', out]);
    let stderr = '';
    receiver.stderr!.on('data', (d) => (stderr += d));
    try {
      // Prune starts as the receiver starts catching up: the two overlap.
      const prune = await runCli(['prune', '--log', logDir, '--max-unused', '0', '--json']);
      expect(prune.code, prune.stderr).toBe(0);
      expect((JSON.parse(prune.stdout) as { versionsRemoved: number }).versionsRemoved).toBe(PATHS * 8);
      const newest = Array.from({ length: PATHS }, (_, p) => 9 * 1000 + p + 1);
      await waitFor(() => treeIs(out, newest), 'the receiver to show the newest versions', 120_000, 100, () => stderr);
      // After the prune: new versions, the first path going back to its version-8 content (kept, so its chunks were
      // moved by the prune: a dedup onto them must find them where they are now).
      await buildRetentionLog(logDir, { paths: PATHS, versions: 1, bytes: BYTES, firstVersion: 10, seedFor: (v, p) => (p === 0 ? 8 * 1000 + 1 : v * 1000 + p + 1) });
      const after = Array.from({ length: PATHS }, (_, p) => (p === 0 ? 8 * 1000 + 1 : 10 * 1000 + p + 1));
      await waitFor(() => treeIs(out, after), 'the receiver to apply the versions added after the prune', 120_000, 100, () => stderr);
    } finally {
      receiver.kill('SIGTERM');
    }
    expect(await exited(receiver), stderr).toBe(0);
    expect((await runCli(['verify', '--log', logDir])).code).toBe(0);
  });
});
