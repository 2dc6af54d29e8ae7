// `synclog replicate --to nats://…`, `receive --from nats://…` and `replicate --from nats://…` through the built
// CLI against a real nats-server on 127.0.0.1 (started here): the tree and the replica come out exact, a second
// publish adds nothing, wrong credentials are refused (exit 1, nothing written), usage errors exit 2.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes } from '../helpers/net-fixture.js';
import { NATS_SERVER, NATS_SKIP_REASON, NatsServer } from '../helpers/nats-server.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const TOKEN = 'nats-token-0123456789abcdef';

async function recordedTree(): Promise<{ base: string; tree: string; log: string }> {
  const base = await makeTmpDir('synclog-js-e2e-');
  const tree = join(base, 'notes');
  await mkdir(join(tree, 'sub'), { recursive: true });
  for (let i = 0; i < 8; i++) await writeFile(join(tree, i % 2 ? 'sub' : '', `f${i}.bin`), bytes(i === 3 ? 400_000 : 500 + i * 300, i + 7));
  const log = join(base, 'log');
  const snap = await runCli(['snapshot', tree, '--log', log, '--json']);
  expect(snap.code, snap.stderr).toBe(0);
  return { base, tree, log };
}

describe.skipIf(!NATS_SERVER)(`CLI over NATS JetStream${NATS_SERVER ? '' : ` (skipped: ${NATS_SKIP_REASON})`}`, () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start({ args: ['--auth', TOKEN] });
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('publishes, receives and replicates; the tree and the replica are exact; a second publish adds nothing', async () => {
    const { base, tree, log } = await recordedTree();
    const tokenFile = join(base, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const published = await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'notes', '--token-file', tokenFile, '--once', '--json']);
    expect(published.code, published.stderr).toBe(0);
    const state = JSON.parse(published.stdout.trim().split('\n').at(-1)!);
    expect(state).toMatchObject({ event: 'published', duplicates: 0 });
    expect(state.published).toBeGreaterThan(8);
    const again = await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'notes', '--token-file', tokenFile, '--once']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`published: 0 records published; stream at seq ${state.streamSeq}`);

    const out = join(base, 'out');
    const received = await runCli(['receive', '--from', nats.url, '--stream', 'notes', '--out', out, '--mode', 'latest', '--token-file', tokenFile, '--once', '--json']);
    expect(received.code, received.stderr).toBe(0);
    expect(JSON.parse(received.stdout)).toMatchObject({ ok: true, files: 8 });
    expect(await snapshotTree(join(out, 'notes'))).toEqual(await snapshotTree(tree));

    const replica = join(base, 'replica');
    const replicated = await runCli(['replicate', '--from', nats.url, '--stream', 'notes', '--log', replica, '--token-file', tokenFile, '--once']);
    expect(replicated.code, replicated.stderr).toBe(0);
    expect(replicated.stdout).toContain(`replicated: ${state.streamSeq} records appended; replica at seq ${state.streamSeq}, source at ${state.streamSeq} (up to date)`);
    const verified = await runCli(['verify', '--log', replica, '--json']);
    expect(verified.code, verified.stdout).toBe(0);
    // The replica is a log like any other: checked out, it is the same tree.
    const fromReplica = join(base, 'from-replica');
    expect((await runCli(['receive', '--log', replica, '--out', fromReplica, '--once'])).code).toBe(0);
    expect(await snapshotTree(join(fromReplica, 'notes'))).toEqual(await snapshotTree(tree));
  });

  it('refuses wrong credentials (exit 1, nothing written) and bad arguments (exit 2)', async () => {
    const { base, log } = await recordedTree();
    const wrong = join(base, 'wrong-token');
    await writeFile(wrong, 'not-the-token-0123456789\n');
    const refused = await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'x', '--token-file', wrong, '--once']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the credentials/);
    const out = join(base, 'out');
    const receive = await runCli(['receive', '--from', nats.url, '--stream', 'x', '--out', out, '--token-file', wrong, '--once']);
    expect(receive.code).toBe(1);
    expect(receive.stderr).toMatch(/refused the credentials/);
    expect((await snapshotTree(base)).out).toBeUndefined();
    expect((await runCli(['replicate', '--log', log, '--to', nats.url, '--once'])).code).toBe(2);
    expect((await runCli(['replicate', '--log', log, '--to', 'http://127.0.0.1:1/', '--stream', 'x', '--once'])).code).toBe(2);
    expect((await runCli(['replicate', '--log', log, '--to', nats.url, '--stream', 'bad.name', '--once'])).code).toBe(2);
    expect((await runCli(['receive', '--from', nats.url, '--out', out, '--once'])).code).toBe(2);
    const help = await runCli(['replicate', '--help']);
    expect(help.stdout).toContain('--to <url>');
    expect(help.stdout).toContain('--stream <name>');
  });
});
