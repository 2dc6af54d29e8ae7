// A log published to a real JetStream stream (nats-server on 127.0.0.1, started here) and followed from it
// (src/jetstream): the replica holds exactly the source's records, groups kept as groups; a receiver builds exactly
// the source tree; a second publish adds nothing; a live follower gets later records; the stream refuses another log;
// a stream whose limits dropped records a follower needs says so instead of skipping them; a partly published atomic
// group is held back from readers until it is whole.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { headers as natsHeaders } from 'nats';
import { connectJetStream, headersFor, messageIdFor, openStreamSource, publishLog, replicateFromStream, StreamLog, streamDescription, streamSubjects, subjectFor } from '../../src/jetstream/index.js';
import { Log, readLogId, type LogEntry } from '../../src/log/index.js';
import { peekChunkIdAndSize, RECORD_TAGS } from '../../src/record/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsServer } from '../helpers/nats-server.js';
import { logEntries, logFrames as frames, sourceWithGroup, type Closer } from '../helpers/replication-fixture.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const closers: Closer[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

let streamCount = 0;
const newStream = () => `t${process.pid}_${++streamCount}`;

describe.skipIf(!NATS_SERVER)(`JetStream replication${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('publishes every record once; a replica holds exactly them; a receiver builds the tree; a second publish adds nothing', async () => {
    const { base, sourceDir, logDir } = await sourceWithGroup(closers);
    const stream = newStream();
    const expected = await frames(logDir);
    const first = await publishLog({ logDir, servers: nats.url, stream });
    expect(first).toMatchObject({ streamSeq: expected.length, published: expected.length, duplicates: 0 });
    const again = await publishLog({ logDir, servers: nats.url, stream });
    expect(again).toMatchObject({ streamSeq: expected.length, published: 0 });

    const replica = join(base, 'replica');
    const state = await replicateFromStream({ servers: nats.url, stream, logDir: replica });
    expect(state).toMatchObject({ appended: expected.length, nextSeq: expected.length, sourceSeq: expected.length });
    expect(await frames(replica)).toEqual(expected);
    expect((await replicateFromStream({ servers: nats.url, stream, logDir: replica })).appended).toBe(0);

    const out = join(base, 'out');
    const receiver = new LogReceiver({ logPath: nats.url, outputPath: out, mode: 'latest', source: { open: (run) => openStreamSource(nats.url, stream, {}, run) } });
    const summary = await receiver.catchUp();
    expect(summary.files).toBe(6);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('reads chunks by direct get (any replica, raw bytes) from a stream the publisher made, through the leader from one without allow_direct', async () => {
    const { logDir } = await sourceWithGroup(closers);
    const ids = (await logEntries(logDir)).filter((e) => e.tag === RECORD_TAGS.chunk).map((e) => peekChunkIdAndSize(e.payload)!.id);
    expect(ids.length).toBeGreaterThan(2);
    const made = newStream();
    await publishLog({ logDir, servers: nats.url, stream: made });
    const byHand = newStream();
    const connection = await connectJetStream(nats.url);
    closers.push(() => connection.nc.close());
    await connection.jsm.streams.add({ name: byHand, subjects: [streamSubjects(byHand)], description: streamDescription((await readLogId(logDir))!) });
    await publishLog({ logDir, servers: nats.url, stream: byHand });
    for (const [stream, direct] of [[made, ids.length], [byHand, 0]] as const) {
      const log = await StreamLog.open(nats.url, stream);
      closers.push(() => log.close());
      const chunks = await log.fetchChunks(ids);
      expect(chunks.every((c) => c !== undefined && c.length > 0)).toBe(true);
      expect(log.stats).toMatchObject({ chunksFetched: ids.length, chunksDirect: direct, directGetFailures: 0 });
    }
  });

  it('follows: records appended later reach the stream and a following replica', async () => {
    const { base, sourceDir, logDir, builder } = await sourceWithGroup(closers);
    const stream = newStream();
    const controller = new AbortController();
    const caughtUp: number[] = [];
    const publishing = publishLog({ logDir, servers: nats.url, stream, follow: true, signal: controller.signal, onCaughtUp: (s) => caughtUp.push(s.streamSeq) });
    const replica = join(base, 'replica');
    const seen: number[] = [];
    await waitFor(() => caughtUp.length > 0, 'the publisher to create the stream');
    const replicating = replicateFromStream({ servers: nats.url, stream, logDir: replica, follow: true, signal: controller.signal, onCaughtUp: (s) => seen.push(s.nextSeq) });
    try {
      const before = (await frames(logDir)).length;
      await waitFor(() => seen.at(-1) === before, 'the replica to catch up');
      await writeFile(join(sourceDir, 'later.txt'), 'written later\n');
      await builder.recordAll();
      const after = (await frames(logDir)).length;
      expect(after).toBeGreaterThan(before);
      await waitFor(() => caughtUp.at(-1) === after, 'the publisher to publish the new records');
      await waitFor(() => seen.at(-1) === after, 'the replica to follow');
    } finally {
      controller.abort();
      await Promise.all([publishing, replicating]);
    }
    expect(await frames(replica)).toEqual(await frames(logDir));
  });

  it('refuses to publish another log into a stream that holds one', async () => {
    const one = await sourceWithGroup(closers);
    const two = await sourceWithGroup(closers);
    const stream = newStream();
    await publishLog({ logDir: one.logDir, servers: nats.url, stream });
    await expect(publishLog({ logDir: two.logDir, servers: nats.url, stream })).rejects.toMatchObject({ code: 'SYNCLOG_USAGE', message: expect.stringContaining('holds log') });
  });

  it('tells a follower that the stream no longer holds records it needs (limits), and writes nothing', async () => {
    const { base, logDir } = await sourceWithGroup(closers);
    const stream = newStream();
    // A stream kept to 200 KB drops the oldest records (the chunks of the 300 KB file among them).
    await publishLog({ logDir, servers: nats.url, stream, streamBytesMax: 200_000 });
    const log = await StreamLog.open(nats.url, stream);
    closers.push(() => log.close());
    expect((await log.info()).firstSeq).toBeGreaterThan(0);
    const replica = join(base, 'replica');
    await expect(replicateFromStream({ servers: nats.url, stream, logDir: replica })).rejects.toMatchObject({ code: 'SYNCLOG_NET', details: { reason: 'stream-truncated', neededSeq: 0 } });
    const replicaLog = await Log.open(replica, { readOnly: true }).catch(() => undefined);
    if (replicaLog) {
      expect(replicaLog.nextSeq).toBe(0);
      await replicaLog.close();
    }
  });

  it('holds back an atomic group the publisher left half published until its last frame is in the stream', async () => {
    const { logDir } = await sourceWithGroup(closers);
    const stream = newStream();
    const all = await frames(logDir);
    const firstOfGroup = all.findIndex((f) => f.flags === 1);
    expect(firstOfGroup).toBeGreaterThan(0);
    // Publish everything before the group, then only the group's first frame, as a killed publisher would leave it.
    const connection = await connectJetStream(nats.url);
    closers.push(() => connection.nc.close());
    await publishLog({ logDir, servers: nats.url, stream });
    const log = await Log.open(logDir, { readOnly: true });
    const entries: LogEntry[] = [];
    for await (const e of log.read({ withFrames: true })) entries.push(e);
    await log.close();
    // A second stream, filled by hand up to the first frame of the group.
    const partial = newStream();
    const { streamDescription, streamSubjects } = await import('../../src/jetstream/index.js');
    const logId = (await StreamLog.open(nats.url, stream).then(async (s) => (await s.close(), s.logId)));
    await connection.jsm.streams.add({ name: partial, subjects: [streamSubjects(partial)], description: streamDescription(logId) });
    const { decodeRecord } = await import('../../src/record/index.js');
    const { contentIdHex } = await import('../../src/store/index.js');
    for (const e of entries.slice(0, firstOfGroup + 1)) {
      const h = natsHeaders();
      const groupLast = e.frame![13] === 0 ? undefined : firstOfGroup + 1;
      for (const [k, v] of Object.entries(headersFor(logId, e, groupLast))) h.set(k, v);
      const record = decodeRecord(e.tag, e.payload, { file: e.segment, offset: e.offset, seq: e.seq });
      await connection.js.publish(subjectFor(partial, e.tag, record.kind === 'chunk' ? contentIdHex(record.id) : undefined), e.frame!, { msgID: messageIdFor(logId, e.seq), headers: h });
    }
    const reader = await StreamLog.open(nats.url, partial);
    closers.push(() => reader.close());
    const seen: number[] = [];
    for await (const e of reader.read()) seen.push(e.seq);
    expect(seen).toEqual(entries.slice(0, firstOfGroup).map((e) => e.seq));
    // The publisher, run again, finishes the group: now readers get it whole.
    await publishLog({ logDir, servers: nats.url, stream: partial });
    const after: number[] = [];
    for await (const e of reader.read()) after.push(e.seq);
    expect(after).toEqual(entries.map((e) => e.seq));
  });
});
