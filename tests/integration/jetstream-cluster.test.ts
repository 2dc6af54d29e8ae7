// A log published to an R3 stream on a real 3-node NATS cluster (three nats-servers on 127.0.0.1, ephemeral client
// and route ports, a token), and followed through other nodes than the one it was published to: the stream is
// replicated on all three, the replica holds exactly the source's records, a receiver builds exactly the source
// tree, and wrong credentials are refused by every node.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectJetStream, openStreamSource, publishLog, replicateFromStream } from '../../src/jetstream/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsCluster } from '../helpers/nats-server.js';
import { logFrames, sourceWithGroup, type Closer } from '../helpers/replication-fixture.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const TOKEN = 'nats-cluster-token-0123456789';

const closers: Closer[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe.skipIf(!NATS_SERVER)(`JetStream on a 3-node cluster${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await NatsCluster.start({ args: ['--auth', TOKEN] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('publishes to an R3 stream through one node; a replica and a receiver on the others come out exact', async () => {
    const { base, sourceDir, logDir, builder } = await sourceWithGroup(closers);
    await writeFile(join(sourceDir, 'later.txt'), 'after the group\n');
    await builder.recordAll();
    const [n1, n2, n3] = cluster.nodes;
    const expected = await logFrames(logDir);
    const published = await publishLog({ logDir, servers: n1!.url, stream: 'r3', replicas: 3, token: TOKEN });
    expect(published).toMatchObject({ streamSeq: expected.length, published: expected.length, duplicates: 0 });

    const connection = await connectJetStream(n2!.url, { token: TOKEN });
    closers.push(() => connection.nc.close());
    const info = await connection.jsm.streams.info('r3');
    expect(info.config.num_replicas).toBe(3);
    expect([info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].sort()).toEqual(['n1', 'n2', 'n3']);

    const replica = join(base, 'replica');
    const state = await replicateFromStream({ servers: n2!.url, stream: 'r3', logDir: replica, token: TOKEN });
    expect(state).toMatchObject({ appended: expected.length, nextSeq: expected.length });
    expect(await logFrames(replica)).toEqual(expected);

    const out = join(base, 'out');
    const receiver = new LogReceiver({ logPath: n3!.url, outputPath: out, mode: 'latest', source: { open: (run) => openStreamSource(n3!.url, 'r3', { token: TOKEN }, run) } });
    await receiver.catchUp();
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('refuses wrong credentials on every node (SYNCLOG_AUTH at once, no retry)', async () => {
    const { logDir } = await sourceWithGroup(closers);
    for (const node of cluster.nodes) {
      const retries: unknown[] = [];
      await expect(publishLog({ logDir, servers: node.url, stream: 'refused', token: 'wrong-token-0123456789', onRetry: (e) => retries.push(e) })).rejects.toMatchObject({ code: 'SYNCLOG_AUTH' });
      await expect(replicateFromStream({ servers: node.url, stream: 'r3', logDir: join(logDir, '..', `nope-${node.name}`) })).rejects.toMatchObject({ code: 'SYNCLOG_AUTH' });
      expect(retries).toEqual([]);
    }
  });
});
