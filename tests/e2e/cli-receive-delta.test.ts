// Read deltas through the CLI (docs/protocol.md "Read deltas"): `synclog serve` and `synclog receive --from` through
// a byte-counting TCP proxy. After a 1 KiB edit in a 48 MiB text file, the second receive moves fewer bytes, in all
// (HTTP, record stream, chunk batch), than the new version record alone would whole; the tree is exact. Then the
// destination's copy is changed behind the receiver before the next edit: the delta fails its check, the record
// comes whole, and the tree is exact again.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countingProxy, writeText } from '../../bench/net.js';
import { Log } from '../../src/log/index.js';
import { exited, runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const FILE_BYTES = 48 * 1024 * 1024;

async function overwrite(file: string, at: number, data: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  await handle.write(data, 0, data.length, at);
  await handle.close();
}

/** Payload bytes of the log's newest version record (what a whole record message carries, less 31 bytes). */
async function newestVersionBytes(logDir: string): Promise<number> {
  const log = await Log.open(logDir, { readOnly: true });
  try {
    let bytes = 0;
    for await (const entry of log.read({ tags: [2] })) bytes = entry.payload.length;
    return bytes;
  } finally {
    await log.close();
  }
}

describe('synclog receive --from with read deltas', () => {
  it('a 1 KiB edit in a 48 MiB text file costs fewer bytes on the wire than its version record whole; a changed destination file falls back whole', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'docs');
    const logDir = join(work, 'log');
    const dest = join(work, 'dest');
    await mkdir(source);
    const file = join(source, 'big.txt');
    await writeText(file, FILE_BYTES);
    expect((await runCli(['snapshot', source, '--log', logDir])).code).toBe(0);
    const serve = spawnCli(['serve', '--log', logDir, '--listen', '127.0.0.1:0']);
    const url = /on (http:\/\/\S+)/.exec(await waitForLine(serve, /^serving /))![1]!;
    const proxy = await countingProxy(Number(new URL(url).port));
    const via = `http://127.0.0.1:${proxy.port}/`;
    const receive = async () => {
      const result = await runCli(['receive', '--from', via, '--out', dest, '--once']);
      expect(result.code, result.stderr).toBe(0);
      expect(await snapshotTree(join(dest, 'docs'))).toEqual(await snapshotTree(source));
    };
    try {
      await receive();
      await overwrite(file, FILE_BYTES / 2, Buffer.alloc(1024, 'x'));
      expect((await runCli(['snapshot', source, '--log', logDir])).code).toBe(0);
      const wholeRecordBytes = await newestVersionBytes(logDir);
      expect(wholeRecordBytes).toBeGreaterThan(20_000);
      proxy.reset();
      await receive();
      const withDelta = proxy.bytes();
      expect(withDelta).toBeLessThan(wholeRecordBytes);

      // The destination's copy changed behind the receiver (in its first chunk, which every delta of this file copies:
      // the text repeats, so later chunks are copies of early ones): not the base; the record comes whole.
      await overwrite(join(dest, 'docs', 'big.txt'), 100, Buffer.alloc(4096, 'y'));
      await overwrite(file, FILE_BYTES / 4, Buffer.alloc(1024, 'z'));
      expect((await runCli(['snapshot', source, '--log', logDir])).code).toBe(0);
      proxy.reset();
      await receive();
      expect(proxy.bytes()).toBeGreaterThan(await newestVersionBytes(logDir));
    } finally {
      proxy.server.close();
      serve.kill('SIGTERM');
      await exited(serve);
    }
  }, 120_000);
});
