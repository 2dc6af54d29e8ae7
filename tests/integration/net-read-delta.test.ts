// Read deltas end to end in-process (docs/protocol.md "Read deltas"): a real LogServer and a remote LogReceiver. A
// 1 KiB edit in a big file travels as a delta whose base is the destination's file, or, in one catch-up, the version
// received just before; rebuilt and checked against the frame's checksum, the tree exact. A server that does not
// list the feature is never asked for deltas. A live follower gets an edit as a delta too. (Fallbacks and hostile servers: tests/fault/net-read-delta.test.ts.)
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { openRemoteSource, type OpenedRemoteSource, type RemoteLog } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { bytes } from '../helpers/net-fixture.js';
import { overwrite, proxy, receive, servedBigFile, type Closers } from '../helpers/read-delta-fixture.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const closers: Closers = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('read deltas (receive --from, latest mode)', () => {
  it('a 1 KiB edit in an 8 MiB file comes as a delta against the destination file, checked; the tree is exact', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile(closers);
    const out = join(base, 'out');
    const first = await receive(server.url, out);
    expect(first.remote.readsDeltas).toBe(true);
    expect(first.remote.deltaStats).toEqual({ expanded: 0, refused: 0 });
    await overwrite(file, 4 * 1024 * 1024, bytes(1024, 99));
    await builder.record('big.bin');
    const second = await receive(server.url, out);
    expect(second.remote.deltaStats).toEqual({ expanded: 1, refused: 0 });
    // The destination file was read once: for the delta's base, and that chunk list served the apply's local chunks.
    expect(second.opened.source.filesChunked).toBe(1);
    expect(second.opened.source.chunksLocal).toBeGreaterThan(10);
    expect(server.stats.deltasSent).toBe(1);
    // The chunk list the base supplied (16+ entries of ~46 bytes) did not travel.
    expect(server.stats.deltaBytesSaved).toBeGreaterThan(15 * 40);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('two versions new to the receiver in one catch-up: the second expands against the first, received just before', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile(closers);
    await overwrite(file, 1024 * 1024, bytes(1024, 98));
    await builder.record('big.bin');
    const { remote } = await receive(server.url, join(base, 'out'));
    expect(remote.deltaStats).toEqual({ expanded: 1, refused: 0 });
    expect(await snapshotTree(join(base, 'out', 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('a server that does not list the feature is never asked delta=1 (as an older server, which would refuse it)', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile(closers);
    const out = join(base, 'out');
    const asked: string[] = [];
    const url = await proxy(closers, server.url, (path, body) => {
      if (path.startsWith('/v1/log')) {
        const info = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        delete info.readFeatures;
        return Buffer.from(JSON.stringify(info));
      }
      if (path.startsWith('/v1/records')) asked.push(path);
      return body;
    });
    await receive(url, out);
    await overwrite(file, 4 * 1024 * 1024, bytes(1024, 94));
    await builder.record('big.bin');
    const { remote } = await receive(url, out);
    expect(remote.readsDeltas).toBe(false);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.filter((path) => path.includes('delta'))).toEqual([]);
    expect(server.stats.deltasSent).toBe(0);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('a live follower gets an edit as a delta: the server refreshes its catalog for a record appended after it was built', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile(closers);
    const out = join(base, 'out');
    let opened: OpenedRemoteSource | undefined;
    const receiver = new LogReceiver({ logPath: server.url, outputPath: out, source: { open: async (run) => (opened = await openRemoteSource(server.url, { giveUpAfterMs: 0 }, run)) } });
    closers.push(() => receiver.stop().then(() => undefined));
    await receiver.start();
    await overwrite(file, 2 * 1024 * 1024, bytes(1024, 93));
    await builder.record('big.bin');
    const expected = await readFile(file);
    await waitFor(async () => (await readFile(join(out, 'src', 'big.bin')).catch(() => Buffer.alloc(0))).equals(expected), 'the edit to arrive');
    const remote = opened!.source.remote as RemoteLog;
    expect(remote.deltaStats).toEqual({ expanded: 1, refused: 0 });
    // The destination file was read once (the base is the version received at start, and the apply's search shares it).
    expect(opened!.source.filesChunked).toBe(1);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });
});
