// zstd chunks through the CLI: a snapshot of text writes zstd chunks into a format-2 log; verify, receive and
// checkout give back exactly the source (the mixed deflate/zstd log is tests/integration/store-format-v2.test.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRecord, RECORD_TAGS } from '../../src/record/index.js';
import { Log } from '../../src/log/index.js';
import { initChecksum } from '../../src/log/checksum.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { textLike } from '../unit/store/store-fixtures.js';

async function codecMix(logDir: string): Promise<Record<string, number>> {
  await initChecksum();
  const log = await Log.open(logDir, { readOnly: true });
  const mix: Record<string, number> = {};
  for await (const entry of log.read({ tags: [RECORD_TAGS.chunk] })) {
    const record = decodeRecord(entry.tag, entry.payload);
    if (record.kind === 'chunk') mix[record.codec] = (mix[record.codec] ?? 0) + 1;
  }
  await log.close();
  return mix;
}

describe('zstd chunks through the CLI', () => {
  it('snapshot writes zstd, verify passes, receive and checkout equal the source', async () => {
    const dir = await makeTmpDir();
    const src = join(dir, 'docs');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'a.txt'), textLike(300 * 1024, 1));
    await writeFile(join(src, 'sub', 'b.txt'), textLike(700 * 1024, 2));
    const logDir = join(dir, 'log');
    expect((await runCli(['snapshot', src, '--log', logDir])).code).toBe(0);
    const mix = await codecMix(logDir);
    expect(mix.zstd).toBeGreaterThan(0);
    expect(mix.deflate).toBeUndefined();
    expect((await runCli(['verify', '--log', logDir])).code).toBe(0);
    expect((await runCli(['receive', '--log', logDir, '--out', join(dir, 'out'), '--once'])).code).toBe(0);
    expect(await snapshotTree(join(dir, 'out', 'docs'))).toEqual(await snapshotTree(src));
    expect((await runCli(['checkout', '--log', logDir, '--out', join(dir, 'co'), '--at', 'now'])).code).toBe(0);
    expect(await snapshotTree(join(dir, 'co', 'docs'))).toEqual(await snapshotTree(src));
    expect(await readFile(join(dir, 'co', 'docs', 'a.txt'))).toEqual(Buffer.from(textLike(300 * 1024, 1)));
  });
});
