// `synclog receive --once` of a long history recorded by `synclog snapshot` (one snapshot per "release"): files
// rewritten in every release are written once, a file created and deleted is never written; the summary (text and
// --json) says how many records were superseded; `checkout --at now` gives the same tree.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const RELEASES = 8;
const FILES = 6;

async function snapshot(source: string, logDir: string): Promise<void> {
  const result = await runCli(['snapshot', source, '--log', logDir, '--json']);
  expect(result.code, result.stderr).toBe(0);
}

describe('synclog receive: catch-up skips the past', () => {
  it('a long history is received with one write per surviving file, and checkout agrees', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'pkg');
    const logDir = join(work, 'log');
    await mkdir(join(source, 'lib'), { recursive: true });
    for (let release = 0; release < RELEASES; release++) {
      for (let i = 0; i < FILES; i++) await writeFile(join(source, 'lib', `f${i}.js`), `release ${release} file ${i}\n`.repeat(200 + release));
      if (release === 2) await writeFile(join(source, 'lib/short-lived.js'), 'here for one release\n');
      if (release === 3) await rm(join(source, 'lib/short-lived.js'));
      await snapshot(source, logDir);
    }
    const out = join(work, 'out');
    const received = await runCli(['receive', '--log', logDir, '--out', out, '--once', '--json']);
    expect(received.code, received.stderr).toBe(0);
    const summary = JSON.parse(received.stdout) as { files: number; superseded: number; deletes: number; changes: number };
    expect(summary.files).toBe(FILES);
    expect(summary.superseded).toBeGreaterThanOrEqual(FILES * (RELEASES - 1) + 1);
    expect(await snapshotTree(join(out, 'pkg'))).toEqual(await snapshotTree(source));

    const text = await runCli(['receive', '--log', logDir, '--out', join(work, 'out-text'), '--once']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${summary.superseded} superseded records not applied`));

    const checkedOut = await runCli(['checkout', '--log', logDir, '--out', join(work, 'co'), '--at', 'now', '--json']);
    expect(checkedOut.code, checkedOut.stderr).toBe(0);
    expect(await snapshotTree(join(work, 'co', 'pkg'))).toEqual(await snapshotTree(source));
  }, 120_000);
});
