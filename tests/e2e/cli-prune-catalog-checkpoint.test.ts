// A prune leaves no derived file pointing into the segments it replaced: the catalog checkpoint a snapshot saved is
// removed with the index checkpoint and the stat cache, and the next snapshot and history read the pruned log right.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG_CHECKPOINT_FILE_NAME } from '../../src/store/index.js';
import { runCli } from '../helpers/run-cli.js';
import { seededBytes } from '../helpers/seeded-bytes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('prune and the catalog checkpoint', () => {
  it('removes the checkpoint; the next snapshot and history see exactly the kept versions', { timeout: 180_000 }, async () => {
    const base = await makeTmpDir();
    const tree = join(base, 'tree');
    const log = join(base, 'log');
    await mkdir(tree);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) await writeFile(join(tree, `f${i}.bin`), seededBytes(3 * 1024 * 1024, round * 10 + i + 1));
      const snap = await runCli(['snapshot', tree, '--log', log, '--json']);
      expect(snap.code, snap.stderr).toBe(0);
    }
    expect(existsSync(join(log, CATALOG_CHECKPOINT_FILE_NAME))).toBe(true);
    expect((await runCli(['forget', '--log', log, '--keep-last', '1'])).code).toBe(0);
    const prune = await runCli(['prune', '--log', log, '--max-unused', '0', '--json']);
    expect(prune.code, prune.stderr).toBe(0);
    expect((JSON.parse(prune.stdout) as { versionsRemoved: number }).versionsRemoved).toBe(2);
    expect(existsSync(join(log, CATALOG_CHECKPOINT_FILE_NAME))).toBe(false);

    await writeFile(join(tree, 'f0.bin'), seededBytes(3 * 1024 * 1024, 99));
    const after = await runCli(['snapshot', tree, '--log', log, '--json']);
    expect(after.code, after.stderr).toBe(0);
    const history = JSON.parse((await runCli(['history', '--log', log, 'tree/f0.bin', '--json'])).stdout) as unknown[];
    expect(history).toHaveLength(2);
    const verify = await runCli(['verify', '--log', log, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
  });
});
