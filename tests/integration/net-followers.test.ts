// Many followers of one server while a writer appends (docs/protocol.md "GET /v1/records"): every follower gets
// every record exactly once, in order, verified, and they all end identical. Each follower is a RemoteLog in this
// process over its own keep-alive connection.
import { describe, expect, it } from 'vitest';
import { Log, type LogEntry } from '../../src/log/index.js';
import { LogServer, RemoteLog } from '../../src/net/index.js';
import { isIntact, recordFor } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const FOLLOWERS = 20;
const RECORDS = 300;

describe('20 followers at once', () => {
  it('all see every record in order while a writer appends', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir, { segmentBytesMax: 16 * 1024 });
    await writer.append(recordFor(0));
    const server = await LogServer.start({ logDir: dir, host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const remotes: RemoteLog[] = [];
    const seen: LogEntry[][] = [];
    try {
      const following = Array.from({ length: FOLLOWERS }, async (_, i) => {
        const remote = await RemoteLog.connect(server.url);
        remotes.push(remote);
        const mine: LogEntry[] = (seen[i] = []);
        for await (const entry of remote.read({ follow: true, signal: controller.signal })) mine.push(entry);
      });
      for (let seq = 1; seq < RECORDS; seq += 10) {
        await writer.appendMany(Array.from({ length: Math.min(10, RECORDS - seq) }, (_, k) => recordFor(seq + k, 200)));
      }
      await waitFor(() => seen.length === FOLLOWERS && seen.every((s) => s.length === RECORDS), 'every follower to have every record', 60_000, 50, () => seen.map((s) => s.length));
      controller.abort();
      await Promise.all(following);
      const first = seen[0]!.map((e) => `${e.seq}:${e.segment}:${e.offset}:${Buffer.from(e.payload).toString('hex')}`);
      expect(first.length).toBe(RECORDS);
      for (const other of seen) expect(other.map((e) => `${e.seq}:${e.segment}:${e.offset}:${Buffer.from(e.payload).toString('hex')}`)).toEqual(first);
      expect(seen[0]!.map((e) => e.seq)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
      expect(seen[0]!.every((e) => isIntact(e, e.seq === 0 ? 0 : 200))).toBe(true);
    } finally {
      controller.abort();
      for (const remote of remotes) remote.close();
      await server.close();
      await writer.close();
    }
  }, 90_000);
});
