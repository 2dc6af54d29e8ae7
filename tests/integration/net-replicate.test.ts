// `synclog replicate` (src/net replicate()): the replica holds exactly the source's records (seq, tag, payload, and
// atomic groups kept as groups), is refused to every other writer, follows live appends, can itself be served and
// received from (fan-out), and a hostile server's chunk whose bytes do not match its id (frame checksum recomputed
// to pass) is refused before anything from it is made durable.
import { createServer, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/log/frame.js';
import { Log, type LogEntry } from '../../src/log/index.js';
import { openRemoteSource, replicate } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { RECORD_TAGS } from '../../src/record/index.js';
import { openStore } from '../../src/store/index.js';
import { serve } from '../helpers/net-fixture.js';
import { logFrames as frames, sourceWithGroup, type Closer } from '../helpers/replication-fixture.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const closers: Closer[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('synclog replicate', () => {
  it('holds exactly the source records, groups included; a second run appends nothing; other writers are refused', async () => {
    const { base, logDir } = await sourceWithGroup(closers);
    const server = await serve(logDir);
    closers.push(() => server.close());
    const replica = join(base, 'replica');
    const first = await replicate({ url: server.url, logDir: replica });
    const expected = await frames(logDir);
    expect(first).toMatchObject({ appended: expected.length, nextSeq: expected.length, sourceSeq: expected.length });
    expect(await frames(replica)).toEqual(expected);
    expect(expected.filter((f) => f.flags !== 0).map((f) => f.flags)).toEqual([1, 3]);
    expect((await replicate({ url: server.url, logDir: replica })).appended).toBe(0);
    await expect(openStore(replica, { workers: 0 })).rejects.toMatchObject({ code: 'SYNCLOG_USAGE', message: expect.stringMatching(/replica/) });
    // A log of its own is no replica; a replica of another log is refused too.
    const own = join(base, 'own');
    await (await openStore(own, { workers: 0 })).close();
    await expect(replicate({ url: server.url, logDir: own })).rejects.toMatchObject({ code: 'SYNCLOG_USAGE' });
  });

  it('follows live appends, and the replica serves a receiver in turn (fan-out) with the exact tree', async () => {
    const { base, sourceDir, logDir, builder } = await sourceWithGroup(closers);
    const server = await serve(logDir);
    closers.push(() => server.close());
    const replicaDir = join(base, 'replica');
    const abort = new AbortController();
    let caughtUp = 0;
    const following = replicate({ url: server.url, logDir: replicaDir, follow: true, signal: abort.signal, onCaughtUp: () => caughtUp++ });
    closers.push(() => {
      abort.abort();
      return following.catch(() => {});
    });
    await waitFor(() => caughtUp > 0, 'the replica to catch up');
    await writeFile(join(sourceDir, 'later.txt'), 'written later\n');
    await builder.record('later.txt');
    const wanted = (await frames(logDir)).length;
    await waitFor(async () => (await frames(replicaDir)).length === wanted, 'the replica to get the new version');
    abort.abort();
    expect((await following).nextSeq).toBe(wanted);
    const replicaServer = await serve(replicaDir);
    closers.push(() => replicaServer.close());
    const out = join(base, 'out');
    await new LogReceiver({ logPath: replicaServer.url, outputPath: out, source: { open: (run) => openRemoteSource(replicaServer.url, {}, run) } }).catchUp();
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('refuses a chunk whose bytes do not match its id even when the frame checksum was recomputed to pass', async () => {
    const { base, logDir } = await sourceWithGroup(closers);
    const honest = await serve(logDir);
    closers.push(() => honest.close());
    const chunkSeq = (await frames(logDir)).find((f) => f.tag === RECORD_TAGS.chunk && f.payload.length > 2000)!.seq;
    const evil: Server = createServer((req, res) => {
      void (async () => {
        const upstream = await fetch(new URL(req.url!.slice(1), honest.url));
        const body = Buffer.from(await upstream.arrayBuffer());
        const headers: Record<string, string> = {};
        upstream.headers.forEach((value, key) => {
          if (key.startsWith('synclog-') || key === 'content-type') headers[key] = value;
        });
        res.writeHead(upstream.status, headers);
        res.end(new URL(req.url!, 'http://x').pathname === '/v1/records' ? tamper(body, chunkSeq) : body);
      })();
    });
    await new Promise<void>((done) => evil.listen(0, '127.0.0.1', done));
    closers.push(() => new Promise<void>((done) => evil.close(() => done())));
    const url = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
    const replica = join(base, 'replica');
    await expect(replicate({ url, logDir: replica })).rejects.toMatchObject({ code: 'SYNCLOG_CORRUPT' });
    const kept = await frames(replica);
    expect(kept.length).toBeLessThanOrEqual(chunkSeq);
    expect(kept).toEqual((await frames(logDir)).slice(0, kept.length));
  });
});

/** Rewrites a record stream: the chunk record at `seq` gets a byte of its data flipped and a freshly computed checksum. */
function tamper(body: Buffer, seq: number): Buffer {
  const out = Buffer.from(body);
  let at = 8;
  let salt = 0n;
  while (at < out.length) {
    const type = out[at]!;
    if (type === 0x01) {
      salt = out.readBigUInt64LE(at + 9);
      at += 17;
    } else if (type === 0x02) {
      const recordSeq = Number(out.readBigUInt64LE(at + 1));
      const frameAt = at + 17;
      const length = out.readUInt32LE(frameAt + 8);
      if (recordSeq === seq) {
        const payload = Buffer.from(out.subarray(frameAt + 14, frameAt + 14 + length));
        payload[payload.length - 10] = payload[payload.length - 10]! ^ 0xff;
        Buffer.from(encodeFrame(out[frameAt + 12]!, 0, payload, salt)).copy(out, frameAt);
      }
      at = frameAt + 14 + length;
    } else break;
  }
  return out;
}
