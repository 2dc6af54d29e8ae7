// Faults on the JetStream path, against a real nats-server on 127.0.0.1 started here. Fault model and what must
// survive:
// - kill -9 of the publisher (`replicate --to`) at some point of its run, then a restart: the stream holds every
//   record of the log exactly once, densely (stream sequence = seq + 1), nothing missing, nothing duplicated;
// - kill -9 of nats-server (and a restart on the same store) while a receiver and a replica catch up, and while the
//   publisher publishes: they wait it out and end exact;
// - a forged message on the stream (a frame whose checksum fails; a chunk record whose checksum was recomputed but
//   whose bytes do not match its id): followers refuse it with a clear error and write nothing of it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { headers as natsHeaders } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectJetStream, headersFor, messageIdFor, StreamLog, subjectFor } from '../../src/jetstream/index.js';
import { encodeFrame } from '../../src/log/frame.js';
import { Log, type LogEntry } from '../../src/log/index.js';
import { decodeRecord, RECORD_TAGS } from '../../src/record/index.js';
import { contentIdHex } from '../../src/store/index.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsServer } from '../helpers/nats-server.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { logEntries, recordedTree as treeIn, streamRecords } from '../helpers/replication-fixture.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const KILL_ROUNDS = 3;
/** A few hundred files recorded, published and followed through a kill: 30-45 s on a loaded 2-core machine, 61 s once. */
const HEAVY_TEST_MS = 150_000;

const recordedTree = (files: number, fileBytes: (i: number) => number) => treeIn(files, fileBytes, 'synclog-js-fault-');

describe.skipIf(!NATS_SERVER)(`JetStream faults${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it(`kill -9 of the publisher ${KILL_ROUNDS} times, then a restart: every record in the stream once, in order`, { timeout: HEAVY_TEST_MS }, async () => {
    const { log } = await recordedTree(600, (i) => 2000 + (i % 7) * 9000);
    const expected = (await logEntries(log)).map((e) => ({ seq: e.seq, payload: Buffer.from(e.payload).toString('hex') }));
    const connection = await connectJetStream(nats.url);
    let killedMidway = 0;
    try {
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const child = spawn(process.execPath, [CLI, 'replicate', '--log', log, '--to', nats.url, '--stream', 'killed'], { stdio: 'ignore' });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // Wait for this run to add records (each round starts where the last one was cut), then cut it.
        const before = await connection.jsm.streams.info('killed').then((i) => i.state.last_seq, () => 0);
        const target = before + Math.ceil((expected.length - before) / 3);
        await waitFor(async () => (await connection.jsm.streams.info('killed').then((i) => i.state.last_seq, () => 0)) >= Math.min(target, expected.length), 'the publisher to publish part of the log', 60_000);
        child.kill('SIGKILL');
        await exited;
        const after = (await connection.jsm.streams.info('killed')).state.last_seq;
        if (after < expected.length) killedMidway++;
      }
    } finally {
      await connection.nc.close();
    }
    expect(killedMidway).toBeGreaterThan(0);
    const finish = await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'killed', '--once', '--json'], { timeoutMs: 120_000 });
    expect(finish.code, finish.stderr).toBe(0);
    expect(JSON.parse(finish.stdout.trim().split('\n').at(-1)!)).toMatchObject({ streamSeq: expected.length });
    expect(await streamRecords(nats.url, 'killed')).toEqual(expected);
  });

  it('nats-server killed and restarted mid-catch-up: receiver and replica wait it out and end exact', { timeout: HEAVY_TEST_MS }, async () => {
    const { base, tree, log } = await recordedTree(300, (i) => 3000 + (i % 5) * 20_000);
    expect((await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'restart', '--once'], { timeoutMs: 120_000 })).code).toBe(0);
    const out = join(base, 'out');
    const replica = join(base, 'replica');
    const receiving = runCli(['receive', '--from', nats.url, '--stream', 'restart', '--out', out, '--once'], { timeoutMs: 120_000 });
    const replicating = runCli(['replicate', '--from', nats.url, '--stream', 'restart', '--log', replica, '--once'], { timeoutMs: 120_000 });
    // Cut the server once the followers are under way.
    await waitFor(async () => existsSync(join(out, 'data')), 'the receiver to start writing', 60_000);
    await nats.restart();
    const [received, replicated] = await Promise.all([receiving, replicating]);
    expect(received.code, received.stderr).toBe(0);
    expect(replicated.code, replicated.stderr).toBe(0);
    expect(await snapshotTree(join(out, 'data'))).toEqual(await snapshotTree(tree));
    expect((await logEntries(replica)).map((e) => Buffer.from(e.payload).toString('hex'))).toEqual((await logEntries(log)).map((e) => Buffer.from(e.payload).toString('hex')));
  });

  it('nats-server killed and restarted while the publisher publishes: the stream ends exact', { timeout: HEAVY_TEST_MS }, async () => {
    const { log } = await recordedTree(400, (i) => 2000 + (i % 4) * 15_000);
    const child = spawn(process.execPath, [CLI, 'replicate', '--log', log, '--to', nats.url, '--stream', 'pubrestart', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const connection = await connectJetStream(nats.url);
      await waitFor(async () => (await connection.jsm.streams.info('pubrestart').then((i) => i.state.last_seq, () => 0)) > 0, 'the publisher to start', 60_000);
      await connection.nc.close();
      await nats.restart();
      const expected = (await logEntries(log)).length;
      await waitFor(() => stdout.includes(`"streamSeq":${expected}`), 'the publisher to catch up after the restart', 90_000);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const expected = (await logEntries(log)).map((e) => ({ seq: e.seq, payload: Buffer.from(e.payload).toString('hex') }));
    expect(await streamRecords(nats.url, 'pubrestart')).toEqual(expected);
  });

  it('refuses a forged message: a frame failing its checksum, a chunk whose bytes do not match its id', async () => {
    const { base, log } = await recordedTree(4, (i) => 5000 + i * 1000);
    expect((await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'forged', '--once'])).code).toBe(0);
    const entries = await logEntries(log);
    const logId = (await StreamLog.open(nats.url, 'forged').then(async (s) => (await s.close(), s.logId)));
    const connection = await connectJetStream(nats.url);
    try {
      // A forged chunk: the last chunk record with one byte of its data changed, its frame checksum recomputed.
      const chunkEntry = entries.filter((e) => e.tag === RECORD_TAGS.chunk).at(-1)!;
      const record = decodeRecord(chunkEntry.tag, chunkEntry.payload, { file: chunkEntry.segment, offset: chunkEntry.offset });
      if (record.kind !== 'chunk') throw new Error('not a chunk');
      const payload = new Uint8Array(chunkEntry.payload);
      payload[payload.length - 1]! ^= 0xff;
      const forgedEntry: LogEntry = { ...chunkEntry, seq: entries.length, frame: encodeFrame(chunkEntry.tag, 0, payload, chunkEntry.salt!), payload };
      const h = natsHeaders();
      for (const [k, v] of Object.entries(headersFor(logId, forgedEntry))) h.set(k, v);
      await connection.js.publish(subjectFor('forged', RECORD_TAGS.chunk, contentIdHex(record.id)), forgedEntry.frame!, { msgID: messageIdFor(logId, forgedEntry.seq), headers: h });

      const out = join(base, 'out');
      const received = await runCli(['receive', '--from', nats.url, '--stream', 'forged', '--out', out, '--once']);
      expect(received.code).toBe(1);
      expect(received.stderr).toContain(`chunk ${contentIdHex(record.id)}`);
      expect(received.stderr).toMatch(/does not match its BLAKE3 id|chunk-hash-mismatch/);
      // Nothing of the forged chunk written: whatever the receiver wrote before it stopped is the source's own.
      const source = await snapshotTree(join(base, 'data'));
      const wrote = await snapshotTree(join(out, 'data')).catch(() => ({}));
      for (const [path, entry] of Object.entries(wrote)) expect({ path, ...entry }).toEqual({ path, ...source[path] });
      const replica = join(base, 'replica');
      const replicated = await runCli(['replicate', '--from', nats.url, '--stream', 'forged', '--log', replica, '--once']);
      expect(replicated.code).toBe(1);
      expect(replicated.stderr).toMatch(/does not match its BLAKE3 id|chunk-hash-mismatch/);
      expect((await logEntries(replica)).length).toBe(entries.length);
      // The publisher sees a message it did not publish at the stream's end and stops there, saying so.
      const republish = await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'forged', '--once']);
      expect(republish.code).toBe(2);
      expect(republish.stderr).toContain('not published from this log');

      // A frame whose checksum fails, on a stream of its own (the first frame of the log, one payload byte flipped).
      const first = entries[0]!;
      const flipped = new Uint8Array(first.frame!);
      flipped[flipped.length - 1]! ^= 0x01;
      const { streamDescription, streamSubjects } = await import('../../src/jetstream/index.js');
      await connection.jsm.streams.add({ name: 'badframe', subjects: [streamSubjects('badframe')], description: streamDescription(logId) });
      const h2 = natsHeaders();
      for (const [k, v] of Object.entries(headersFor(logId, first))) h2.set(k, v);
      await connection.js.publish(subjectFor('badframe', first.tag), flipped, { msgID: messageIdFor(logId, 0), headers: h2 });
      const replica2 = join(base, 'replica2');
      const bad = await runCli(['replicate', '--from', nats.url, '--stream', 'badframe', '--log', replica2, '--once']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/record 0 .*fails its check: checksum-mismatch/);
      const replicaLog = await Log.open(replica2, { readOnly: true }).catch(() => undefined);
      expect(replicaLog?.nextSeq ?? 0).toBe(0);
      await replicaLog?.close();
    } finally {
      await connection.nc.close();
    }
  });
});
