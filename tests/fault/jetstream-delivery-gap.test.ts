// Messages lost between the server and a follower: the connection a filtered reader (a receiver's) pulls through is
// cut in the middle of a pull, through a TCP proxy on 127.0.0.1 in front of a real nats-server. Fault model: the
// messages the consumer had sent and the client had not received are gone, and an ack-none consumer never sends
// them again; the client reconnects through the proxy and its pull goes on from the consumer's position. What must
// survive: the reader still yields every record it was asked for, in order, none skipped (it sees the consumer's
// delivery sequence jump and reads again from its cursor).
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishLog, StreamLog } from '../../src/jetstream/index.js';
import { RECORD_TAGS } from '../../src/record/index.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsServer } from '../helpers/nats-server.js';
import { logEntries, sourceWithGroup, type Closer } from '../helpers/replication-fixture.js';

const closers: Closer[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A TCP proxy to `port` that cuts the connection open when `cutAfterBytes` more came from the server after `arm()`. */
async function cuttingProxy(port: number): Promise<{ url: string; arm(cutAfterBytes: number): void; cuts: () => number; close(): Promise<void> }> {
  let fromServer = 0;
  let cutAt: number | undefined;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('data', (data: Buffer) => {
      fromServer += data.length;
      if (cutAt !== undefined && cuts === 0 && fromServer >= cutAt) {
        cuts++;
        end();
        return;
      }
      client.write(data);
    });
    client.on('data', (data: Buffer) => upstream.write(data));
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `nats://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm: (cutAfterBytes) => (cutAt = fromServer + cutAfterBytes),
    cuts: () => cuts,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

describe.skipIf(!NATS_SERVER)(`JetStream delivery gaps${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('a filtered reader whose connection is cut mid-pull still yields every version, in order', async () => {
    const { sourceDir, logDir, builder } = await sourceWithGroup(closers);
    await mkdir(join(sourceDir, 'many'));
    for (let i = 0; i < 300; i++) await writeFile(join(sourceDir, 'many', `m${i}.txt`), `file ${i}\n`);
    await builder.recordAll();
    await publishLog({ logDir, servers: nats.url, stream: 'gap' });
    const wanted = (await logEntries(logDir)).filter((e) => e.tag === RECORD_TAGS.version).map((e) => e.seq);
    const proxy = await cuttingProxy(nats.port);
    closers.push(() => proxy.close());
    const log = await StreamLog.open(proxy.url, 'gap');
    closers.push(() => log.close());
    proxy.arm(20_000);
    const seen: number[] = [];
    for await (const entry of log.read({ tags: [RECORD_TAGS.version] })) seen.push(entry.seq);
    expect(proxy.cuts()).toBe(1);
    expect(seen).toEqual(wanted);
  });
});
