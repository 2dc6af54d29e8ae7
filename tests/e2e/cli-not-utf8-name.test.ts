// A file whose name is not valid UTF-8 cannot be held by the log (paths are UTF-8 strings). Node hands such a name
// over with U+FFFD, by which the file cannot be reached: before, snapshot and watch passed over it in silence, so its
// changes were missed without a word. Now each says once that it cannot be recorded, with the name's bytes shown.
import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/** Writes a file whose last path component holds the raw byte 0xff. */
function writeNonUtf8(dir: string, prefix: string, content: string): void {
  writeFileSync(Buffer.concat([Buffer.from(join(dir, prefix)), Buffer.from([0xff]), Buffer.from('.txt')]), content);
}

describe('names that are not valid UTF-8', () => {
  it('snapshot says it cannot record one (bytes shown, exit 1) and records the rest', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    await mkdir(data);
    writeNonUtf8(data, 'bad-', 'x');
    await writeFile(join(data, 'ok.txt'), 'ok');
    const result = await runCli(['snapshot', data, '--log', join(dir, 'log')]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('cannot record data/"bad-\\xff.txt": its name is not valid UTF-8');
    const json = await runCli(['snapshot', data, '--log', join(dir, 'log2'), '--json']);
    const summary = JSON.parse(json.stdout) as { created: number; errorDetails: { details: { reason: string } }[] };
    expect(summary.created).toBe(1);
    expect(summary.errorDetails.map((e) => e.details.reason)).toEqual(['not-utf8']);
  });

  it('watch says so once for a file made while it runs, however often it changes', async () => {
    const dir = await makeTmpDir();
    const data = join(dir, 'data');
    await mkdir(data);
    const child = spawnCli(['watch', data, '--log', join(dir, 'log')]);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitForLine(child, /^ready:/m);
    writeNonUtf8(data, 'live-', 'one');
    await waitFor(() => err.includes('not valid UTF-8'), 'the refusal', 30_000, 100);
    writeNonUtf8(data, 'live-', 'two');
    writeNonUtf8(data, 'live-', 'three');
    await writeFile(join(data, 'after.txt'), 'after'); // a later change still flows
    await waitForLine(child, /created\s+data\/after\.txt/);
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(err.match(/not valid UTF-8/g)).toHaveLength(1);
    expect(err).toContain('data/"live-\\xff.txt"');
  });
});
