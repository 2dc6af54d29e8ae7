// Faults on an R3 stream of a real 3-node NATS cluster (three nats-servers on 127.0.0.1, started here), while a
// watcher (`synclog watch`) records files the test keeps writing, so the publisher always has records to publish.
// Fault model and what must survive, for each of ROUNDS rounds (SYNCLOG_JS_CLUSTER_KILLS; the suite's default is
// small, the long loop is `npm run stress -- N --only jetstream-cluster-kill`):
// - kill -9 of the stream's leader node while the publisher (`replicate --to`) publishes: publishing goes on with
//   two nodes of three (the quorum), after a leader election;
// - kill -9 of the publisher later in the same round, then the node restarts on its store and a new publisher
//   resumes where the stream ends;
// while a following receiver and a following replica read the stream throughout. At the end: the stream holds every
// record once, densely, in order; the receiver's tree is the source tree; the replica holds exactly the source's
// records; the followers did not stop on the way. The tree compared is the log's own checkout (`receive --log`), so
// the check does not depend on how much of the writes the watcher had recorded when it was stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectJetStream } from '../../src/jetstream/index.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsCluster } from '../helpers/nats-server.js';
import { logEntries, recordedTree, seqPayloads, streamRecords } from '../helpers/replication-fixture.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { seededBytes } from '../helpers/seeded-bytes.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';

const ROUNDS = Number(process.env.SYNCLOG_JS_CLUSTER_KILLS ?? 2);
const TOKEN = 'nats-cluster-token-0123456789';
const STREAM = 'clustered';
/** Records each phase of a round waits for (the watcher keeps adding them): before the node kill, and after it. */
const GROWTH_RECORDS = 30;

interface Child {
  child: ChildProcess;
  exited: Promise<unknown>;
  output: () => string;
}

function start(args: string[]): Child {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SYNCLOG_NO_PROGRESS: '1' } });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, exited: new Promise((resolve) => child.once('exit', resolve)), output: () => output };
}

async function stop(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill(signal);
  await child.exited;
}

/** A follower that stopped on its own is a failure: say what it printed. */
function alive(follower: Child, what: string): void {
  if (follower.child.exitCode !== null || follower.child.signalCode !== null) throw new Error(`the ${what} stopped (exit ${follower.child.exitCode ?? follower.child.signalCode}): ${follower.output().slice(-2000)}`);
}

describe.skipIf(!NATS_SERVER)(`JetStream cluster faults${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await NatsCluster.start({ args: ['--auth', TOKEN] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it(`kill -9 of the leader node, then of the publisher, ${ROUNDS} rounds, with a live watcher and followers: nothing lost, nothing duplicated, followers exact`, { timeout: 120_000 + ROUNDS * 60_000 }, async () => {
    const { base, tree, log } = await recordedTree(40, (i) => 2000 + (i % 7) * 9000, 'synclog-js-cluster-');
    const tokenFile = join(base, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const connection = await connectJetStream(cluster.url, { token: TOKEN });
    // While a node is down and a leader is being elected, the stream's info may fail for a moment: undefined.
    const info = () => connection.jsm.streams.info(STREAM).catch(() => undefined);
    const streamSeq = async () => (await info())?.state.last_seq;
    const publishArgs = ['replicate', '--log', log, '--to', cluster.url, '--stream', STREAM, '--replicas', '3', '--token-file', tokenFile];
    const followers: Child[] = [];
    const out = join(base, 'out');
    const replica = join(base, 'replica');
    const watcher = start(['watch', tree, '--log', log]);
    await waitFor(() => watcher.output().includes('ready: watching'), 'the watcher to start', 60_000, 20, watcher.output);
    // The writes: a file every 25 ms until the rounds are over (each a new version: chunk records and a version record).
    let writing = true;
    const written = (async () => {
      await mkdir(join(tree, 'live'), { recursive: true });
      for (let n = 0; writing; n++) {
        await writeFile(join(tree, 'live', `w${n % 200}.bin`), seededBytes(3000 + (n % 5) * 7000, 1000 + n));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const publisher = start(publishArgs);
        const before = round === 0 ? 0 : ((await streamSeq()) ?? 0);
        await waitFor(async () => ((await streamSeq()) ?? 0) >= before + GROWTH_RECORDS, `round ${round}: the publisher to publish`, 60_000, 20, publisher.output);
        if (round === 0) {
          followers.push(start(['receive', '--from', cluster.url, '--stream', STREAM, '--out', out, '--token-file', tokenFile]));
          followers.push(start(['replicate', '--from', cluster.url, '--stream', STREAM, '--log', replica, '--token-file', tokenFile]));
        }
        const leader = (await waitFor(async () => (await info())?.cluster?.leader, 'the stream to have a leader', 60_000))!;
        const node = cluster.node(leader);
        const atKill = (await streamSeq()) ?? 0;
        await node.kill();
        // Two nodes of three hold the quorum: publishing goes on once they have elected a new leader.
        await waitFor(async () => ((await streamSeq()) ?? 0) >= atKill + GROWTH_RECORDS, `round ${round}: publishing to go on without ${leader}`, 90_000, 20, publisher.output);
        alive(publisher, 'publisher');
        await stop(publisher, 'SIGKILL');
        await node.startAgain();
        followers.forEach((f, i) => alive(f, i === 0 ? 'receiver' : 'replica'));
      }
    } finally {
      writing = false;
      await written;
      // The watcher records what it has seen; whatever it holds when stopped is the log every copy must equal.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await stop(watcher, 'SIGTERM');
    }
    try {
      const expected = seqPayloads(await logEntries(log));
      const finish = await runCli([...publishArgs, '--once', '--json'], { timeoutMs: 180_000 });
      expect(finish.code, finish.stderr).toBe(0);
      const finished = JSON.parse(finish.stdout.trim().split('\n').at(-1)!);
      expect(finished).toMatchObject({ streamSeq: expected.length });
      // The last publisher was killed before the log's end: the finishing run had records left to publish.
      expect(finished.published).toBeGreaterThan(0);
      expect(await streamRecords(cluster.url, STREAM, { token: TOKEN })).toEqual(expected);

      const reference = join(base, 'reference');
      const checkout = await runCli(['receive', '--log', log, '--out', reference, '--once'], { timeoutMs: 120_000 });
      expect(checkout.code, checkout.stderr).toBe(0);
      const wanted = JSON.stringify(await snapshotTree(join(reference, 'data')));
      let state: unknown;
      await waitFor(async () => {
        followers.forEach((f, i) => alive(f, i === 0 ? 'receiver' : 'replica'));
        const [got, replicated] = await Promise.all([snapshotTree(join(out, 'data')).catch(() => undefined), logEntries(replica).catch(() => [])]);
        state = { files: Object.keys(got ?? {}).length, replicated: replicated.length, expected: expected.length, receiver: followers[0]!.output().slice(-1500), replica: followers[1]!.output().slice(-1500) };
        return JSON.stringify(got) === wanted && replicated.length === expected.length;
      }, 'the followers to hold the whole log', 120_000, 250, () => state);
      for (const follower of followers) await stop(follower, 'SIGTERM');
      expect(followers.map((f) => f.child.exitCode)).toEqual([0, 0]);
      expect(seqPayloads(await logEntries(replica))).toEqual(expected);
      expect(await snapshotTree(join(out, 'data'))).toEqual(await snapshotTree(join(reference, 'data')));
    } finally {
      for (const follower of followers) await stop(follower, 'SIGTERM');
      await connection.nc.close();
    }
  });
});
