// receive --from fetches only the chunks it lacks: after a 1 KiB edit in the middle of an 8 MiB file, the new version
// is built from the previous one in the destination (read locally and checked against its chunk ids) plus about one
// chunk from the server. A destination file changed behind the receiver's back costs only downloads, never a wrong
// byte.
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRemoteSource, type OpenedRemoteSource } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { bytes, serve } from '../helpers/net-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { LogBuilder } from './receiver-log-builder.js';

async function overwrite(file: string, at: number, data: Uint8Array): Promise<void> {
  const handle = await open(file, 'r+');
  await handle.write(data, 0, data.length, at);
  await handle.close();
}

describe('receive --from: chunks already in the destination are not downloaded again', () => {
  it('a 1 KiB edit in an 8 MiB file fetches about one chunk', async () => {
    const base = await makeTmpDir();
    const sourceDir = join(base, 'src');
    await mkdir(sourceDir);
    const file = join(sourceDir, 'big.bin');
    await writeFile(file, bytes(8 * 1024 * 1024, 7));
    const logDir = join(base, 'log');
    const builder = await LogBuilder.open(logDir, sourceDir);
    const server = await serve(logDir);
    try {
      await builder.recordAll();
      const out = join(base, 'out');
      const receive = async () => {
        let opened: OpenedRemoteSource | undefined;
        const receiver = new LogReceiver({ logPath: server.url, outputPath: out, source: { open: async (run) => (opened = await openRemoteSource(server.url, {}, run)) } });
        await receiver.catchUp();
        return { fetched: opened!.source.remote.stats.chunksFetched, local: opened!.source.chunksLocal };
      };
      const first = await receive();
      expect(first.local).toBe(0);
      expect(first.fetched).toBeGreaterThan(10);
      await overwrite(file, 4 * 1024 * 1024, bytes(1024, 99));
      await builder.record('big.bin');
      const second = await receive();
      expect(second.fetched).toBeLessThanOrEqual(3);
      expect(second.local).toBeGreaterThanOrEqual(first.fetched - 3);
      expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));

      // Someone changes the destination's copy: its changed chunks no longer match and are fetched, the rest reused.
      await overwrite(join(out, 'src', 'big.bin'), 100, bytes(64, 5));
      await overwrite(file, 7 * 1024 * 1024, bytes(1024, 98));
      await builder.record('big.bin');
      const third = await receive();
      expect(third.fetched).toBeGreaterThanOrEqual(2);
      expect(third.fetched).toBeLessThanOrEqual(6);
      expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
    } finally {
      await builder.close();
      await server.close();
    }
  });

  it('a copy of a file, and a file sharing half its chunks, cost no chunk downloads of their own in one catch-up', async () => {
    const base = await makeTmpDir();
    const sourceDir = join(base, 'src');
    await mkdir(sourceDir);
    const content = bytes(4 * 1024 * 1024, 11);
    await writeFile(join(sourceDir, 'a.bin'), content);
    const logDir = join(base, 'log');
    const builder = await LogBuilder.open(logDir, sourceDir);
    const server = await serve(logDir);
    const catchUp = async (out: string) => {
      let opened: OpenedRemoteSource | undefined;
      const receiver = new LogReceiver({ logPath: server.url, outputPath: out, source: { open: async (run) => (opened = await openRemoteSource(server.url, {}, run)) } });
      await receiver.catchUp();
      return opened!.source.remote.stats.chunksFetched;
    };
    try {
      await builder.recordAll();
      const alone = await catchUp(join(base, 'out-alone'));
      // The copy, and a file whose second half is a.bin's: one fresh catch-up applies all three (in parallel).
      await writeFile(join(sourceDir, 'copy.bin'), content);
      await writeFile(join(sourceDir, 'half.bin'), Buffer.concat([bytes(512 * 1024, 12), content.subarray(2 * 1024 * 1024)]));
      await builder.record('copy.bin');
      await builder.record('half.bin');
      const out = join(base, 'out');
      const all = await catchUp(out);
      expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
      // a.bin's chunks once; half.bin's new 512 KiB is ~8 chunks (+ one at the seam); the copy nothing.
      expect(all).toBeLessThanOrEqual(alone + 16);
      expect(all).toBeGreaterThan(alone);
    } finally {
      await builder.close();
      await server.close();
    }
  });
});
