// The log reader contract (log-reader.suite.ts) run against both implementations: the local read-only Log and the
// HTTP reader (RemoteLog) talking to a LogServer on 127.0.0.1.
import { Log } from '../../src/log/index.js';
import { LogServer, RemoteLog } from '../../src/net/index.js';
import { logReaderSuite } from './log-reader.suite.js';

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
