// A catch-up read whose consumer sits on a replica that has not caught up. JetStream (nats-server 2.9) places a
// reader's R1 consumer on any replica of an R3 stream, and the consumer delivers and counts only what its own server
// holds: right after a node restart such a consumer said 3000 messages pending where the stream held 6000. Fault
// model (tests/helpers/lagging-consumer-proxy.ts, in front of a real nats-server): a lagging consumer delivers the
// stream up to a point, says nothing is pending there, and sends nothing more. What must survive: a read that does
// not follow still yields everything the stream held when it was asked (unfiltered, as a replica reads; filtered, as
// a receiver reads), and `receive --once` still ends with the whole tree. Before, a read trusted the pending count and
// ended short without a word (the cluster fault test once read 1184 of the stream's 1193 records). And a consumer
// created there with a start past the replica's end starts at that end instead (the server clamps it) and sends
// records the reader already took: they are skipped (before, a following receiver stopped on "delivered record 173
// after 211" in the cluster stress run).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishLog, StreamLog } from '../../src/jetstream/index.js';
import type { LogEntry } from '../../src/log/index.js';
import { RECORD_TAGS } from '../../src/record/index.js';
import { laggingConsumerProxy, subjectsOf } from '../helpers/lagging-consumer-proxy.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsServer } from '../helpers/nats-server.js';
import { logEntries, recordedTree, seqPayloads, sourceWithGroup, type Closer } from '../helpers/replication-fixture.js';
import { runCli } from '../helpers/run-cli.js';
import { seededBytes } from '../helpers/seeded-bytes.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const closers: Closer[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/**
 * A stream of a few hundred records (under one pull of 256 up to the lagging replica's end) whose last records are
 * chunks of a file whose version is not recorded yet (as when a publisher has published part of an ingest): no
 * message of the record subject after the last version.
 */
async function publishedSource(nats: NatsServer, stream: string): Promise<{ entries: LogEntry[] }> {
  const { sourceDir, logDir, builder } = await sourceWithGroup(closers);
  await mkdir(join(sourceDir, 'many'));
  for (let i = 0; i < 80; i++) await writeFile(join(sourceDir, 'many', `m${i}.txt`), `file ${i}\n`);
  await builder.recordAll();
  await writeFile(join(sourceDir, 'unrecorded.bin'), seededBytes(300_000, 99));
  await builder.store.ingestFile(join(sourceDir, 'unrecorded.bin'));
  await builder.store.flush();
  const published = await publishLog({ logDir, servers: nats.url, stream });
  const entries = await logEntries(logDir);
  expect(published.streamSeq).toBe(entries.length);
  expect(entries.at(-1)!.tag).toBe(RECORD_TAGS.chunk);
  return { entries };
}

describe.skipIf(!NATS_SERVER)(`JetStream reads through a lagging consumer${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('an unfiltered catch-up read (a replica\'s) yields every record the stream holds', async () => {
    const { entries } = await publishedSource(nats, 'lag-all');
    const proxy = await laggingConsumerProxy(nats.port, { stream: 'lag-all', subjects: await subjectsOf(nats.url, 'lag-all'), lastStreamSeq: 90, lagging: (i) => i === 0 });
    closers.push(() => proxy.close());
    const log = await StreamLog.open(proxy.url, 'lag-all');
    closers.push(() => log.close());
    const seen: LogEntry[] = [];
    for await (const entry of log.read()) seen.push(entry);
    expect(proxy.counts()).toEqual({ consumers: 2, lagging: 1, clamped: 0 });
    expect(seqPayloads(seen)).toEqual(seqPayloads(entries));
  });

  it('a filtered catch-up read (a receiver\'s) yields every version the stream holds, and ends though chunks follow the last', async () => {
    const { entries } = await publishedSource(nats, 'lag-versions');
    const wanted = entries.filter((e) => e.tag === RECORD_TAGS.version).map((e) => e.seq);
    expect(wanted.filter((seq) => seq >= 90).length).toBeGreaterThan(10);
    const proxy = await laggingConsumerProxy(nats.port, { stream: 'lag-versions', subjects: await subjectsOf(nats.url, 'lag-versions'), lastStreamSeq: 90, lagging: (i) => i === 0 });
    closers.push(() => proxy.close());
    const log = await StreamLog.open(proxy.url, 'lag-versions');
    closers.push(() => log.close());
    const seen: number[] = [];
    for await (const entry of log.read({ tags: [RECORD_TAGS.version] })) seen.push(entry.seq);
    expect(proxy.counts()).toEqual({ consumers: 2, lagging: 1, clamped: 0 });
    expect(seen).toEqual(wanted);
  });

  it('a consumer that starts before the seq asked for (clamped to its replica\'s end) sends records again: skipped, not an error', async () => {
    const { entries } = await publishedSource(nats, 'lag-clamped');
    const subjects = await subjectsOf(nats.url, 'lag-clamped');
    const proxy = await laggingConsumerProxy(nats.port, { stream: 'lag-clamped', subjects, lastStreamSeq: 60, clamped: (i) => i < 2 });
    closers.push(() => proxy.close());
    const log = await StreamLog.open(proxy.url, 'lag-clamped');
    closers.push(() => log.close());
    // Unfiltered, following (a replica's follow), from seq 120: its consumer starts at seq 60.
    const abort = new AbortController();
    const followed: LogEntry[] = [];
    for await (const entry of log.read({ fromSeq: 120, follow: true, signal: abort.signal })) {
      followed.push(entry);
      if (entry.seq === entries.length - 1) abort.abort();
    }
    expect(seqPayloads(followed)).toEqual(seqPayloads(entries.slice(120)));
    // Filtered, not following (a receiver's catch-up), from seq 120.
    const versions: number[] = [];
    for await (const entry of log.read({ fromSeq: 120, tags: [RECORD_TAGS.version] })) versions.push(entry.seq);
    expect(versions).toEqual(entries.filter((e) => e.seq >= 120 && e.tag === RECORD_TAGS.version).map((e) => e.seq));
    expect(proxy.counts().clamped).toBe(2);
  });

  it('receive --once through lagging consumers ends with the whole tree', async () => {
    const { base, tree, log } = await recordedTree(30, (i) => 500 + i * 40, 'synclog-js-lag-');
    const published = await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'lag-cli', '--once', '--json']);
    expect(published.code, published.stderr).toBe(0);
    const streamSeq: number = JSON.parse(published.stdout.trim().split('\n').at(-1)!).streamSeq;
    // The receiver's first two reads (its catch-up plan and then its apply, in latest mode) each meet a lagging one.
    const proxy = await laggingConsumerProxy(nats.port, { stream: 'lag-cli', subjects: await subjectsOf(nats.url, 'lag-cli'), lastStreamSeq: Math.floor(streamSeq / 2), lagging: (i) => i < 2 });
    closers.push(() => proxy.close());
    const out = join(base, 'out');
    const received = await runCli(['receive', '--from', proxy.url, '--stream', 'lag-cli', '--out', out, '--once', '--json'], { timeoutMs: 120_000 });
    expect(received.code, received.stderr).toBe(0);
    expect(proxy.counts().lagging).toBe(2);
    expect(await snapshotTree(join(out, 'data'))).toEqual(await snapshotTree(tree));
  });
});
