// Issue 13 item 6: a folder that is no log is never turned into one, and never called sound or empty.
// `watch --log` at an ordinary non-empty folder refuses and writes nothing into it; every read command says
// "not a synclog log: DIR" (exit 1) for such a folder or an empty one, and "no log at DIR" for a missing one.
// A log made before the marker file (segments only) still opens. verify --json carries the torn-tail note.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { segmentFileName } from '../../src/log/index.js';
import { appendBytes } from '../helpers/corrupt.js';
import { buildLog } from '../helpers/log-fixture.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const READ_COMMANDS = (out: string): string[][] => [
  ['verify'],
  ['verify', '--json'],
  ['history', 'data/a.txt'],
  ['log'],
  ['stats'],
  ['receive', '--out', join(out, 'receive')],
  ['checkout', '--at', '2030-01-01T00:00:00Z', '--out', join(out, 'checkout')],
  ['export', '--all', '-o', join(out, 'export.tar.gz')],
  ['explore'],
];

async function userFolder(): Promise<string> {
  const dir = await makeTmpDir();
  await writeFile(join(dir, 'notes.txt'), 'my own file\n');
  await mkdir(join(dir, 'photos'));
  return dir;
}

describe('cli not a log (issue 13 item 6)', () => {
  it('watch --log at a non-empty folder that is no log refuses and writes nothing into it', async () => {
    const folder = await userFolder();
    const source = await makeTmpDir();
    const result = await runCli(['watch', source, '--log', folder]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`not a synclog log: ${folder}`);
    expect((await readdir(folder)).sort()).toEqual(['notes.txt', 'photos']);
  });

  it('read commands say "not a synclog log" for a folder that is no log, and for an empty one', async () => {
    const out = await makeTmpDir();
    for (const folder of [await userFolder(), await makeTmpDir()]) {
      const before = (await readdir(folder)).sort();
      for (const args of READ_COMMANDS(out)) {
        const result = await runCli([...args, '--log', folder]);
        expect({ args, code: result.code }).toEqual({ args, code: 1 });
        expect(result.stdout + result.stderr).toContain(`not a synclog log: ${folder}`);
        expect(result.stdout).not.toContain('sound');
      }
      expect((await readdir(folder)).sort()).toEqual(before);
    }
  }, 120_000);

  it('read commands on a missing directory say it does not exist', async () => {
    const missing = join(await makeTmpDir(), 'nowhere');
    for (const args of [['verify'], ['log'], ['stats']]) {
      const result = await runCli([...args, '--log', missing]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`no log at ${missing}: the directory does not exist`);
    }
  });

  it('a log made before the marker file existed (segments only) still opens, and a writer adds the marker', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const source = await makeTmpDir();
    await writeFile(join(source, 'a.txt'), 'a');
    expect((await runCli(['snapshot', source, '--log', dir])).code).toBe(0);
    // What a log of synclog 0.1.0 holds: segments (and store files), no marker, no watermark.
    await rm(join(dir, 'SYNCLOG'));
    await rm(join(dir, 'durable.seq'));
    const verify = await runCli(['verify', '--log', dir]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('ok: the log is sound');
    await writeFile(join(source, 'b.txt'), 'b');
    const again = await runCli(['snapshot', source, '--log', dir]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(await readdir(dir)).toContain('SYNCLOG');
  });

  it('verify --json carries the torn-tail note the text output prints', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 3);
    await appendBytes(join(dir, segmentFileName(0)), new Uint8Array([7, 7, 7, 7, 7]));
    const json = await runCli(['verify', '--log', dir, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).tornTail).toMatchObject({ segment: segmentFileName(0), bytesCut: 5, reason: expect.stringMatching(/^torn-/) });
    const text = await runCli(['verify', '--log', dir]);
    expect(text.stderr).toContain('note: torn tail');
  });
});
