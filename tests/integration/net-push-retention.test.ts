// Retention on a push server (docs/format.md "Receive time", "Server-side retention"): every record the server
// appends carries its own receive time, whatever origin the client's record claimed; forget judges pushed versions by
// it, not by the client's clock; a forget + prune run inside the server's writer (asWriter) holds pushes until it is
// done, and afterwards a chunk the prune removed is no longer "held" (a push naming it must upload it again).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Log, verifyLog } from '../../src/log/index.js';
import { LogServer, TokenSet } from '../../src/net/index.js';
import { decodeLacks, encodeIds } from '../../src/net/push-protocol.js';
import { newVersionId, type VersionRecord } from '../../src/record/index.js';
import { forgetVersions, retainLog } from '../../src/retention/index.js';
import { hashContent, openStore } from '../../src/store/index.js';
import { PUSH_TOKEN } from '../helpers/net-fixture.js';
import { postBody, recordsBody, uploadBody } from '../helpers/push-body.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const CLIENT = '0-1111111111111111';
const DAY_MS = 86_400_000;
/** The client's clock: far in the past (2001), a day between versions. */
const CLIENT_START_MS = Date.UTC(2001, 0, 1);

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function version(i: number, data: Uint8Array, extra: Partial<VersionRecord> = {}): VersionRecord {
  const id = hashContent(data);
  const time = CLIENT_START_MS + i * DAY_MS;
  return { kind: 'version', versionId: newVersionId(time), time, root: 'docs', path: 'a.txt', type: 'file', event: i === 0 ? 'created' : 'modified', size: data.length, mtimeMs: time, mode: 0o644, uid: 0, gid: 0, contentId: id, chunks: [{ id, size: data.length }], ...extra } as VersionRecord;
}

function content(i: number): Uint8Array {
  return new TextEncoder().encode(`version ${i} `.repeat(200));
}

async function startServer(): Promise<{ server: LogServer; logDir: string }> {
  const logDir = join(await makeTmpDir(), 'server-log');
  const server = await LogServer.start({ logDir, acceptPush: true, tokens: TokenSet.parse(`push:${PUSH_TOKEN}\n`, undefined) });
  closers.push(() => server.close());
  return { server, logDir };
}

async function pushedVersions(logDir: string): Promise<VersionRecord[]> {
  const store = await openStore(logDir, { readOnly: true, workers: 0 });
  const out: VersionRecord[] = [];
  for await (const { record } of store.entries({ kinds: ['version'] })) out.push(record as VersionRecord);
  await store.close();
  return out;
}

describe('push server retention by its own clock', () => {
  it('stamps its receive time on what it appends, replacing a forged one; forget judges by it', async () => {
    const { server, logDir } = await startServer();
    const contents = [0, 1, 2].map(content);
    expect((await postBody(server.url, '/v1/push/chunks', uploadBody(contents), PUSH_TOKEN)).status).toBe(200);
    // The client claims a receive time of its own (far in the future) and another origin: both must be ignored.
    const forged = { log: '0-9999999999999999', seq: 77, receivedMs: Date.UTC(2099, 0, 1) };
    const records = contents.map((data, i) => ({ seq: i + 1, record: version(i, data, { origin: forged }) }));
    const beforeMs = Date.now();
    const pushed = await postBody(server.url, '/v1/push/records', recordsBody(CLIENT, records), PUSH_TOKEN);
    const afterMs = Date.now();
    expect(pushed.status, pushed.text).toBe(200);
    const held = await pushedVersions(logDir);
    expect(held.map((v) => v.versionId)).toEqual(records.map((r) => r.record.versionId));
    for (const [i, v] of held.entries()) {
      expect(v.time).toBe(CLIENT_START_MS + i * DAY_MS); // the record's own time is kept as the client said it
      expect(v.origin).toMatchObject({ log: CLIENT, seq: i + 1 });
      expect(v.origin!.receivedMs).toBeGreaterThanOrEqual(beforeMs);
      expect(v.origin!.receivedMs).toBeLessThanOrEqual(afterMs);
    }
    // One push, one receive time: all three fall in one server day, so keep-daily=3 keeps only the newest, where the
    // client's clock (three days) would have kept all three; keep-within 1d (server now) keeps all three, where the
    // client's clock (2001) would have kept only the newest.
    const reader = await Log.open(logDir, { readOnly: true });
    try {
      const daily = await forgetVersions(reader, { policy: { keepDaily: 3 }, policyText: 'test', dryRun: true });
      expect(daily.forgotten.map((v) => v.versionId)).toEqual(held.slice(0, 2).map((v) => v.versionId));
      expect(daily.forgotten[0]!.receivedMs).toBe(held[0]!.origin!.receivedMs);
      const within = await forgetVersions(reader, { policy: { keepWithinMs: DAY_MS }, policyText: 'test', dryRun: true });
      expect(within.forgotten).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it('runs forget + prune inside the writer: pushes wait for it, and a pruned chunk must be uploaded again', async () => {
    const { server, logDir } = await startServer();
    const contents = [0, 1, 2].map(content);
    expect((await postBody(server.url, '/v1/push/chunks', uploadBody(contents), PUSH_TOKEN)).status).toBe(200);
    const records = contents.map((data, i) => ({ seq: i + 1, record: version(i, data) }));
    expect((await postBody(server.url, '/v1/push/records', recordsBody(CLIENT, records), PUSH_TOKEN)).status).toBe(200);

    // A push that arrives while the pass runs waits for it (the pass holds the writer), then lands after it.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let pushDone = false;
    const pass = server.asWriter(async (log) => {
      await held;
      return retainLog(log, { policy: { keepDaily: 3 }, policyText: 'test', maxUnusedFraction: 0 });
    });
    const next = content(3);
    const late = (async () => {
      expect((await postBody(server.url, '/v1/push/chunks', uploadBody([next]), PUSH_TOKEN)).status).toBe(200);
      const reply = await postBody(server.url, '/v1/push/records', recordsBody(CLIENT, [{ seq: 4, record: version(3, next) }]), PUSH_TOKEN);
      pushDone = true;
      return reply;
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pushDone).toBe(false);
    release();
    const report = await pass;
    expect((await late).status).toBe(200);
    expect(report.forget.forgotten.map((v) => v.versionId)).toEqual(records.slice(0, 2).map((r) => r.record.versionId));
    expect(report.prune?.versionsRemoved).toBe(2);
    expect(report.prune?.chunksRemoved).toBe(2);

    // The removed chunks are lacking now; a version naming one without uploading it is refused, not appended.
    const removedIds = contents.slice(0, 2).map((data) => hashContent(data));
    const lacks = await postBody(server.url, '/v1/push/lacks', Buffer.from(encodeIds(removedIds)), PUSH_TOKEN);
    expect(decodeLacks(lacks.body, 2)).toEqual([true, true]);
    const stale = await postBody(server.url, '/v1/push/records', recordsBody(CLIENT, [{ seq: 5, record: version(4, contents[0]!) }]), PUSH_TOKEN);
    expect(stale.status).toBe(409);
    // Uploaded again, it is taken.
    expect((await postBody(server.url, '/v1/push/chunks', uploadBody([contents[0]!]), PUSH_TOKEN)).status).toBe(200);
    expect((await postBody(server.url, '/v1/push/records', recordsBody(CLIENT, [{ seq: 5, record: version(4, contents[0]!) }]), PUSH_TOKEN)).status).toBe(200);
    expect((await pushedVersions(logDir)).map((v) => v.time)).toEqual([2, 3, 4].map((i) => CLIENT_START_MS + i * DAY_MS));
    const verified = await verifyLog(logDir);
    expect(verified.ok).toBe(true);
  });
});
