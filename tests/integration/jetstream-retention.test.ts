// A stream's limits (max_msgs, max_age) drop its oldest messages; a follower that still needs them is told so, with a
// hint to rebuild from a full copy, and writes nothing it cannot complete (docs/jetstream.md "Limits and
// retention"): a receiver caught up earlier, a replica starting after everything expired, and a filtered live
// reader whose consumer the limits overtook in the middle of a follow (JetStream moves such a consumer past the
// dropped messages without a word).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nanos } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectJetStream, publishLog, replicateFromStream, openStreamSource, StreamLog, streamDescription, streamSubjects, type JetStreamConnection } from '../../src/jetstream/index.js';
import { readLogId } from '../../src/log/index.js';
import { openRemoteSource } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { RECORD_TAGS } from '../../src/record/index.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsServer } from '../helpers/nats-server.js';
import { logEntries, sourceWithGroup, type Closer } from '../helpers/replication-fixture.js';
import { serve } from '../helpers/net-fixture.js';
import { runCli } from '../helpers/run-cli.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const closers: Closer[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const truncated = { code: 'SYNCLOG_NET', details: { reason: 'stream-truncated', fix: expect.stringContaining('rebuild it from a full copy') } };

describe.skipIf(!NATS_SERVER)(`JetStream retention${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let nats: NatsServer;
  let connection: JetStreamConnection;
  beforeAll(async () => {
    nats = await NatsServer.start();
    connection = await connectJetStream(nats.url);
  });
  afterAll(async () => {
    await connection?.nc.close();
    await nats?.stop();
  });

  /** A stream made by hand for `logDir`'s log with these limits (the publisher then publishes into it). */
  async function limitedStream(name: string, logDir: string, limits: { max_msgs?: number; max_age?: number }): Promise<string> {
    await connection.jsm.streams.add({ name, subjects: [streamSubjects(name)], description: streamDescription((await readLogId(logDir))!), ...limits });
    return name;
  }

  it('max_msgs: a receiver that caught up earlier and fell behind is told, its tree stays as it was, and the printed fix (rebuild from serve, then follow the stream) ends exact', async () => {
    const { base, sourceDir, logDir, builder } = await sourceWithGroup(closers);
    const count = (await logEntries(logDir)).length;
    const stream = await limitedStream('maxmsgs', logDir, { max_msgs: count + 4 });
    await publishLog({ logDir, servers: nats.url, stream });
    const out = join(base, 'out');
    const receiver = () => new LogReceiver({ logPath: nats.url, outputPath: out, mode: 'latest', source: { open: (run) => openStreamSource(nats.url, stream, {}, run) } });
    await receiver().catchUp();
    const before = await snapshotTree(out);
    for (let i = 0; i < 20; i++) await writeFile(join(sourceDir, `more${i}.txt`), `more ${i}\n`.repeat(50));
    await builder.recordAll();
    await publishLog({ logDir, servers: nats.url, stream });
    const log = await StreamLog.open(nats.url, stream);
    closers.push(() => log.close());
    expect((await log.info()).firstSeq).toBeGreaterThan(count);
    await expect(receiver().catchUp()).rejects.toMatchObject({ ...truncated, details: { ...truncated.details, neededSeq: count } });
    expect(await snapshotTree(out)).toEqual(before);

    // The fix it prints works: a new copy rebuilt from a `serve` of the source log, then followed on the stream
    // (same log identity, so the cursor fits), ends exact, and keeps following what is published after.
    const rebuilt = join(base, 'rebuilt');
    const server = await serve(logDir);
    closers.push(() => server.close());
    await new LogReceiver({ logPath: server.url, outputPath: rebuilt, mode: 'latest', source: { open: (run) => openRemoteSource(server.url, {}, run) } }).catchUp();
    for (let i = 0; i < 3; i++) await writeFile(join(sourceDir, `late${i}.txt`), `late ${i}\n`);
    await builder.record('late0.txt', 'late1.txt', 'late2.txt');
    await publishLog({ logDir, servers: nats.url, stream });
    await new LogReceiver({ logPath: nats.url, outputPath: rebuilt, mode: 'latest', source: { open: (run) => openStreamSource(nats.url, stream, {}, run) } }).catchUp();
    expect(await snapshotTree(join(rebuilt, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('max_age: everything expired; a new replica and `receive --once` are told (exit 1, the fix printed), nothing written', async () => {
    const { base, logDir } = await sourceWithGroup(closers);
    const stream = await limitedStream('maxage', logDir, { max_age: nanos(1_000) });
    await publishLog({ logDir, servers: nats.url, stream });
    await waitFor(async () => (await connection.jsm.streams.info(stream)).state.messages === 0, 'the messages to expire');
    const replica = join(base, 'replica');
    await expect(replicateFromStream({ servers: nats.url, stream, logDir: replica })).rejects.toMatchObject({ ...truncated, details: { ...truncated.details, neededSeq: 0 } });
    const out = join(base, 'out');
    const received = await runCli(['receive', '--from', nats.url, '--stream', stream, '--out', out, '--once']);
    expect(received.code).toBe(1);
    expect(received.stderr).toMatch(/no longer holds records 0-\d+ .*rebuild this copy/);
    expect(received.stderr).toContain('fix: rebuild it from a full copy');
    // Only the receiver's own state (its cursor, still at the start): no file of the tree.
    expect(Object.entries(await snapshotTree(base)).filter(([path, entry]) => path.startsWith('out/') && !path.startsWith('out/.synclog-receiver/') && entry.type === 'file')).toEqual([]);
  });

  it('a filtered live reader overtaken by the limits mid-follow is told, and yields nothing past the drop', async () => {
    const { sourceDir, logDir, builder } = await sourceWithGroup(closers);
    // More version records than one pull brings (256), so the reader's consumer is left mid-stream after its first.
    await mkdir(join(sourceDir, 'many'));
    for (let i = 0; i < 300; i++) await writeFile(join(sourceDir, 'many', `m${i}.txt`), `file ${i}\n`);
    await builder.recordAll();
    const firstCount = (await logEntries(logDir)).length;
    const stream = await limitedStream('overtaken', logDir, { max_msgs: firstCount + 10 });
    await publishLog({ logDir, servers: nats.url, stream });
    const log = await StreamLog.open(nats.url, stream);
    closers.push(() => log.close());
    const controller = new AbortController();
    closers.push(() => controller.abort());
    const versions = log.read({ tags: [RECORD_TAGS.version], follow: true, signal: controller.signal });
    const first = await versions.next();
    expect(first.done).toBe(false);
    // While the reader holds its first pull, as many records again are published: the stream drops the oldest.
    for (let i = 0; i < 300; i++) await writeFile(join(sourceDir, 'many', `m${i}.txt`), `file ${i}, second version\n`);
    await builder.recordAll();
    await publishLog({ logDir, servers: nats.url, stream });
    const firstSeq = (await log.info()).firstSeq;
    const seen: number[] = [];
    const error = await (async () => {
      try {
        for (;;) {
          const step = await versions.next();
          if (step.done) return undefined;
          seen.push(step.value.seq);
        }
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toMatchObject(truncated);
    expect(seen.every((seq) => seq < firstSeq)).toBe(true);
  });
});
