// Pushing (src/net push() against a LogServer with acceptPush; docs/protocol.md "Push"): the server's log ends up
// with every version of the client's log once, carrying its origin; a second push, or one whose cursor was lost,
// appends nothing; a copy under a new name uploads no chunk; a root another client owns is refused unless renamed.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogServer, push, PUSH_CURSOR_FILE_NAME, TokenSet } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { openStore, type StoredRecord } from '../../src/store/index.js';
import type { EntryRecord, VersionRecord } from '../../src/record/index.js';
import { builtLog, bytes } from '../helpers/net-fixture.js';
import { entryRows, GrowingTree } from '../helpers/push-tree.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { LogBuilder } from './receiver-log-builder.js';

const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function pushServer(logDir: string): Promise<LogServer> {
  const server = await LogServer.start({ logDir, acceptPush: true, tokens: TokenSet.none() });
  closers.push(() => server.close());
  return server;
}

/** Entry records of a log (what the client recorded, or what the server appended) as comparable rows. */
async function entries(logDir: string): Promise<StoredRecord[]> {
  const store = await openStore(logDir, { readOnly: true, workers: 0 });
  const out: StoredRecord[] = [];
  for await (const item of store.entries({ kinds: ['version', 'delete'] })) out.push(item);
  await store.close();
  return out;
}

function rows(items: StoredRecord[]): string[] {
  return items.map(({ record }) => {
    const r = record as EntryRecord;
    return `${r.kind} ${r.versionId} ${r.root}/${r.path}`;
  });
}

async function mirror(logDir: string, out: string): Promise<void> {
  const receiver = new LogReceiver({ logPath: logDir, outputPath: out });
  await receiver.catchUp();
}

describe('push', () => {
  it('puts every version of the client log into the server log once, with its origin; a replay adds nothing', async () => {
    const { base, logDir, sourceDir } = await builtLog(8);
    const serverLog = join(base, 'server-log');
    const server = await pushServer(serverLog);
    const first = await push({ url: server.url, logDir });
    const client = await entries(logDir);
    const held = await entries(serverLog);
    expect(rows(held)).toEqual(rows(client));
    expect(first.recordsAppended).toBeGreaterThanOrEqual(client.length);
    for (const item of held) expect((item.record as EntryRecord).origin?.seq).toBe(client.find((c) => (c.record as EntryRecord).versionId === (item.record as EntryRecord).versionId)!.seq);
    await mirror(serverLog, join(base, 'out'));
    expect(await snapshotTree(join(base, 'out', 'src'))).toEqual(await snapshotTree(sourceDir));

    const again = await push({ url: server.url, logDir });
    expect(again.recordsAppended).toBe(0);
    // The cursor lost (a client crash before it was saved): the server's high-water mark says what it holds.
    await rm(join(logDir, PUSH_CURSOR_FILE_NAME));
    const replay = await push({ url: server.url, logDir });
    expect(replay.recordsAppended).toBe(0);
    expect(replay.uploadBytes).toBe(0);
    expect(rows(await entries(serverLog))).toEqual(rows(client));
    // A restarted server derives the same marks from its log.
    await server.close();
    closers.pop();
    const restarted = await pushServer(serverLog);
    await rm(join(logDir, PUSH_CURSOR_FILE_NAME));
    expect((await push({ url: restarted.url, logDir })).recordsAppended).toBe(0);
    expect(rows(await entries(serverLog))).toEqual(rows(client));
  });

  it('a copy under a new name uploads no chunk, a new file uploads only its own', async () => {
    const { base, logDir, sourceDir } = await builtLog(4);
    const server = await pushServer(join(base, 'server-log'));
    await push({ url: server.url, logDir });
    await copyFile(join(sourceDir, 'sub', 'f1.bin'), join(sourceDir, 'copy.bin'));
    const builder = await LogBuilder.open(logDir, sourceDir);
    await builder.record('copy.bin');
    await builder.close();
    const after = await push({ url: server.url, logDir });
    expect(after.recordsAppended).toBe(1);
    expect(after.chunksUploaded).toBe(0);
    expect(after.uploadBytes).toBe(0);
    expect(server.pushStats!.chunksStored).toBeGreaterThan(0);
    await mirror(join(base, 'server-log'), join(base, 'out'));
    expect(await readFile(join(base, 'out', 'src', 'copy.bin'))).toEqual(await readFile(join(sourceDir, 'sub', 'f1.bin')));
  });

  it('refuses a root another client owns, and takes it under another name', async () => {
    const one = await builtLog(3);
    const two = await builtLog(3);
    const serverLog = join(await makeTmpDir(), 'server-log');
    const server = await pushServer(serverLog);
    await push({ url: server.url, logDir: one.logDir });
    await expect(push({ url: server.url, logDir: two.logDir })).rejects.toThrow(/root "src" belongs to another writer.*--as NAME/);
    const renamed = await push({ url: server.url, logDir: two.logDir, rootNames: () => 'src-two' });
    expect(renamed.recordsAppended).toBeGreaterThan(0);
    const roots = new Set((await entries(serverLog)).map((e) => (e.record as EntryRecord).root));
    expect([...roots].sort()).toEqual(['src', 'src-two']);
  });
  it('two clients pushing different roots at once both complete, each version once and in its order; a third pushing a root one owns is refused and changes nothing', async () => {
    const base = await makeTmpDir();
    const alpha = new GrowingTree(join(base, 'alpha'), join(base, 'alpha-log'));
    const beta = new GrowingTree(join(base, 'beta'), join(base, 'beta-log'));
    await Promise.all([alpha.grow(150), beta.grow(150)]);
    const serverLog = join(base, 'server-log');
    const server = await pushServer(serverLog);
    const [a, b] = await Promise.all([push({ url: server.url, logDir: alpha.logDir }), push({ url: server.url, logDir: beta.logDir })]);
    const clientA = await entryRows(alpha.logDir);
    const clientB = await entryRows(beta.logDir);
    expect([a.recordsAppended, b.recordsAppended]).toEqual([clientA.length, clientB.length]);
    const held = await entries(serverLog);
    const from = (origin: string) => held.filter((item) => (item.record as EntryRecord).origin?.log === origin).map((item) => (item.record as EntryRecord).versionId);
    const originA = (held.find((item) => (item.record as EntryRecord).root === 'alpha')!.record as EntryRecord).origin!.log;
    const originB = (held.find((item) => (item.record as EntryRecord).root === 'beta')!.record as EntryRecord).origin!.log;
    expect(originA).not.toBe(originB);
    expect(from(originA)).toEqual(clientA.map((row) => row.versionId));
    expect(from(originB)).toEqual(clientB.map((row) => row.versionId));
    expect(held).toHaveLength(clientA.length + clientB.length);
    await mirror(serverLog, join(base, 'out'));
    expect(await snapshotTree(join(base, 'out', 'alpha'))).toEqual(await snapshotTree(alpha.sourceDir));
    expect(await snapshotTree(join(base, 'out', 'beta'))).toEqual(await snapshotTree(beta.sourceDir));

    // A third client whose folder is also called "alpha": refused, naming the way out, and the log is as it was.
    const intruder = new GrowingTree(join(base, 'third', 'alpha'), join(base, 'third-log'));
    await intruder.grow(5);
    const before = rows(await entries(serverLog));
    await expect(push({ url: server.url, logDir: intruder.logDir })).rejects.toThrow(/root "alpha" belongs to another writer \(the client with log \S+ pushes it\); push this folder under another name with --as NAME/);
    expect(rows(await entries(serverLog))).toEqual(before);
  });
  it('after a small edit of a large file the record travels as a delta and no id the server holds is asked again; a base it lacks is sent whole', async () => {
    const base = await makeTmpDir();
    const sourceDir = join(base, 'src');
    await mkdir(sourceDir, { recursive: true });
    const big = Buffer.from(bytes(8_000_000, 3));
    await writeFile(join(sourceDir, 'big.bin'), big);
    const logDir = join(base, 'log');
    const record = async () => {
      const builder = await LogBuilder.open(logDir, sourceDir);
      await builder.record('big.bin');
      await builder.close();
    };
    await record();
    const serverLog = join(base, 'server-log');
    const server = await pushServer(serverLog);
    await push({ url: server.url, logDir });
    const chunkCount = ((await entries(logDir)).at(-1)!.record as VersionRecord).chunks!.length;
    expect(chunkCount).toBeGreaterThanOrEqual(16); // PUSH_LIMITS.deltaChunksMin
    big.fill(7, 4_000_000, 4_001_024);
    await writeFile(join(sourceDir, 'big.bin'), big);
    await record();
    const before = { ...server.pushStats! };
    const edited = await push({ url: server.url, logDir });
    expect(edited.recordsAppended).toBe(1);
    // Only the new chunks are asked about (not every id of the file), and the record is far smaller than its list.
    expect(server.pushStats!.lacksAsked - before.lacksAsked).toBeLessThanOrEqual(4);
    expect(server.pushStats!.recordBytesReceived - before.recordBytesReceived).toBeLessThan(before.recordBytesReceived / 2); // the first push: the whole record
    // The server appended the full record: the same chunk list as the client's.
    const clientVersion = (await entries(logDir)).at(-1)!.record as VersionRecord;
    const serverVersion = (await entries(serverLog)).at(-1)!.record as VersionRecord;
    expect(serverVersion.chunks).toEqual(clientVersion.chunks);
    expect(serverVersion.versionId).toBe(clientVersion.versionId);
    // A receiver of the server's log rebuilds the edited file exactly (and serve --out does: tests/e2e/cli-push).
    await mirror(serverLog, join(base, 'mirror'));
    expect((await readFile(join(base, 'mirror', 'src', 'big.bin'))).equals(big)).toBe(true);

    // Another server whose log never held the base (pushed under another name there): the delta is refused with 409 and
    // the pusher sends the batch whole, so the push still completes with the full record.
    const other = await pushServer(join(base, 'other-log'));
    const whole = await push({ url: other.url, logDir });
    expect(whole.recordsAppended).toBe(2);
    big.fill(9, 100, 1124);
    await writeFile(join(sourceDir, 'big.bin'), big);
    await record();
    const renamed = await push({ url: other.url, logDir, rootNames: () => 'renamed' });
    expect(renamed.recordsAppended).toBe(1);
    expect(((await entries(join(base, 'other-log'))).at(-1)!.record as VersionRecord).chunks).toEqual(((await entries(logDir)).at(-1)!.record as VersionRecord).chunks);
  });
});
