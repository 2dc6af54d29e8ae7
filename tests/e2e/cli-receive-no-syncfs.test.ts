// `synclog receive` and `synclog checkout` where `sync -f` is missing or refuses (busybox, old coreutils): a `sync`
// that always fails is put first on PATH; both must fall back to one fsync per file and still write the tree exactly.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

describe('synclog receive and checkout without sync -f', () => {
  it('falls back to per-file fsync and mirrors the source', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'src', 'proj');
    await mkdir(join(source, 'sub'), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(join(source, i % 2 ? 'sub' : '', `f${i}.txt`), `file ${i}\n`.repeat(i + 1));
    const logDir = join(work, 'log');
    const snap = await runCli(['snapshot', source, '--log', logDir, '--json']);
    expect(snap.code, snap.stderr).toBe(0);
    const bin = join(work, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'sync'), '#!/bin/sh\necho "sync: invalid option -- f" >&2\nexit 1\n');
    await chmod(join(bin, 'sync'), 0o755);
    const dest = join(work, 'dest');
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const result = await runCli(['receive', '--log', logDir, '--out', dest, '--once', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(await snapshotTree(join(dest, 'proj'))).toEqual(await snapshotTree(source));
    const checkedOut = join(work, 'checkout');
    const checkout = await runCli(['checkout', '--log', logDir, '--out', checkedOut, '--at', 'now', '--json'], { env });
    expect(checkout.code, checkout.stderr).toBe(0);
    expect(await snapshotTree(join(checkedOut, 'proj'))).toEqual(await snapshotTree(source));
  });
});
