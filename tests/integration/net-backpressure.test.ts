// A slow follower is back-pressured, never buffered without limit (docs/protocol.md "Limits"): a client that stops
// reading a record stream of large records holds the server's reader back at what the sockets' buffers take; once it
// reads again, everything arrives.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { LogServer } from '../../src/net/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const RECORDS = 64;
const RECORD_BYTES = 1024 * 1024;

describe('back-pressure', () => {
  it('a client that reads nothing stops the stream; reading again gets every record', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir);
    for (let i = 0; i < RECORDS; i++) await writer.append({ tag: 9, payload: new Uint8Array(RECORD_BYTES).fill(i) });
    await writer.close();
    const server = await LogServer.start({ logDir: dir, host: '127.0.0.1', port: 0 });
    try {
      const socket = connect(server.address.port, '127.0.0.1');
      socket.pause();
      socket.write(`GET /v1/records?from=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      await waitFor(() => server.stats.streamsOpen === 1 && server.stats.recordsSent > 0, 'the stream to start');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // What the kernel's socket buffers hold, not the whole log (64 MiB).
      const whileStalled = server.stats.recordsSent;
      expect(whileStalled).toBeLessThan(RECORDS / 2);
      let received = 0;
      socket.on('data', (data: Buffer) => (received += data.length));
      const ended = new Promise((resolve) => socket.on('end', resolve));
      socket.resume();
      await ended;
      expect(server.stats.recordsSent).toBe(RECORDS);
      expect(received).toBeGreaterThan(RECORDS * RECORD_BYTES);
    } finally {
      await server.close();
    }
  }, 60_000);
});
