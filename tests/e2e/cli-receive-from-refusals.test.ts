// receive --from through the CLI where the request cannot be honoured: --skip-damaged (a served log's damage is the
// server's) is refused before anything is written; a destination whose saved cursor does not fit the served log
// (another log's, or past its end) is refused with a fix saying what to do, and left as it was. Exit 2 (usage).
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

async function servedSnapshot(work: string, name: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const source = join(work, name);
  await mkdir(source, { recursive: true });
  await writeFile(join(source, 'a.txt'), `alpha of ${name}\n`);
  const logDir = join(work, `${name}-log`);
  const snapshot = await runCli(['snapshot', source, '--log', logDir]);
  expect(snapshot.code, snapshot.stderr).toBe(0);
  const serve = spawnCli(['serve', '--log', logDir, '--listen', '127.0.0.1:0']);
  const url = /on (http:\/\/\S+)/.exec(await waitForLine(serve, /^serving /))![1]!;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (serve.exitCode !== null) return resolve();
      serve.once('close', () => resolve());
      serve.kill('SIGTERM');
    });
  return { url, stop };
}

describe('receive --from: refusals with a fix', () => {
  it('refuses --skip-damaged, another log, and a cursor past the log end; the destination is left as it was', async () => {
    const work = await makeTmpDir();
    const first = await servedSnapshot(work, 'one');
    const second = await servedSnapshot(work, 'two');
    try {
      const dest = join(work, 'dest');
      const skip = await runCli(['receive', '--from', first.url, '--out', dest, '--once', '--skip-damaged']);
      expect(skip.code).toBe(2);
      expect(skip.stderr).toMatch(/--skip-damaged .*does not go with --from/);
      expect(skip.stderr).toMatch(/fix: .*synclog verify --log/);
      expect(await readdir(dest).catch(() => [])).toEqual([]);

      const once = await runCli(['receive', '--from', first.url, '--out', dest, '--once', '--json']);
      expect(once.code, once.stderr).toBe(0);
      expect(await readFile(join(dest, 'one', 'a.txt'), 'utf8')).toBe('alpha of one\n');

      const other = await runCli(['receive', '--from', second.url, '--out', dest, '--once']);
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/follows the log synclog-log:/);
      expect(other.stderr).toMatch(/fix: .*receive from the server that serves it, or into another --out/);
      const json = await runCli(['receive', '--from', second.url, '--out', dest, '--once', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'SYNCLOG_USAGE', details: { fix: expect.stringContaining('another --out') } } });

      // A log cut back under the same identity (an older copy restored): the saved cursor is past its end.
      const cursorFile = join(dest, '.synclog-receiver', 'cursor.json');
      const cursor = JSON.parse(await readFile(cursorFile, 'utf8')) as { nextSeq: number; reservedUntilSeq: number };
      await writeFile(cursorFile, JSON.stringify({ ...cursor, nextSeq: cursor.nextSeq + 1000, reservedUntilSeq: cursor.nextSeq + 1000 }));
      const past = await runCli(['receive', '--from', first.url, '--out', dest, '--once']);
      expect(past.code).toBe(2);
      expect(past.stderr).toMatch(/up to seq \d+, but that log now ends at seq \d+/);
      expect(past.stderr).toMatch(/fix: .*another --out/);
      expect(JSON.parse(await readFile(cursorFile, 'utf8'))).toMatchObject({ nextSeq: cursor.nextSeq + 1000 });
      expect(await readFile(join(dest, 'one', 'a.txt'), 'utf8')).toBe('alpha of one\n');
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
