// The log reader contract (log-reader.suite.ts) run against every implementation: the local read-only Log, the
// HTTP reader (RemoteLog) talking to a LogServer on 127.0.0.1, and the JetStream reader (StreamLog) of a stream on a
// nats-server on 127.0.0.1 that mirrors the log (stream-mirror.ts). Where StreamLog's contract differs from the
// others' (a read without follow ends at the stream's end as of the request): docs/jetstream.md "Reader contract".
import { afterAll, beforeAll, describe } from 'vitest';
import { StreamLog } from '../../src/jetstream/index.js';
import { Log } from '../../src/log/index.js';
import { LogServer, RemoteLog } from '../../src/net/index.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsServer } from '../helpers/nats-server.js';
import { logReaderSuite } from './log-reader.suite.js';
import { mirrorToStream } from './stream-mirror.js';

logReaderSuite('local Log (read-only)', async (dir) => {
  const log = await Log.open(dir, { readOnly: true });
  return { reader: log, close: () => log.close() };
});

logReaderSuite('RemoteLog over HTTP', async (dir) => {
  const server = await LogServer.start({ logDir: dir, host: '127.0.0.1', port: 0 });
  const remote = await RemoteLog.connect(server.url, { giveUpAfterMs: 0 });
  return {
    reader: remote,
    async close() {
      remote.close();
      await server.close();
    },
  };
});

describe.skipIf(!NATS_SERVER)(`JetStream${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let nats: NatsServer;
  let streams = 0;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  logReaderSuite('StreamLog over JetStream', async (dir) => {
    const stream = `conformance_${++streams}`;
    const mirror = await mirrorToStream(dir, nats.url, stream);
    const reader = await StreamLog.open(nats.url, stream, { giveUpAfterMs: 0 });
    return {
      reader,
      async close() {
        await reader.close();
        await mirror.stop();
      },
    };
  });
});
