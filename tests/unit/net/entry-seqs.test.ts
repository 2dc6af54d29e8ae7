// The server's index of each path's entries by seq (src/net/entry-seqs.ts), which read deltas find their base with:
// the newest entry of the same root and path below a seq, when it is a version with chunks; read forward as the log
// grows. And ReadDeltas (serve-deltas.ts) makes its deltas without the store's catalog, which keeps every record.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Log } from '../../../src/log/index.js';
import { EntrySeqs } from '../../../src/net/entry-seqs.js';
import { ReadDeltas } from '../../../src/net/serve-deltas.js';
import { RECORD_TAGS } from '../../../src/record/index.js';
import { openStore, type StoreApi } from '../../../src/store/index.js';
import { LogBuilder } from '../../integration/receiver-log-builder.js';
import { seededBytes } from '../../helpers/seeded-bytes.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An empty source folder and a log recorded from it through the store (closed after the test). */
async function sourceLog(): Promise<{ sourceDir: string; logDir: string; builder: LogBuilder }> {
  const base = await makeTmpDir();
  const sourceDir = join(base, 'src');
  await mkdir(sourceDir);
  const logDir = join(base, 'log');
  const builder = await LogBuilder.open(logDir, sourceDir);
  closers.push(() => builder.close());
  return { sourceDir, logDir, builder };
}

/** A log holding, in order: a.txt, b.txt, a.txt again, the folder d, a.txt deleted, b.txt again. Seqs by name. */
async function history(): Promise<{ logDir: string; builder: LogBuilder; seqs: Record<string, number> }> {
  const { sourceDir, logDir, builder } = await sourceLog();
  const seqs: Record<string, number> = {};
  const step = async (name: string, rel: string, make: () => Promise<void>) => {
    await make();
    const [stored] = await builder.store.appendRecords([(await builder.versionOf(rel)) ?? builder.deleteOf(rel)]);
    seqs[name] = stored!.seq;
  };
  await step('a1', 'a.txt', () => writeFile(join(sourceDir, 'a.txt'), seededBytes(5000, 1)));
  await step('b1', 'b.txt', () => writeFile(join(sourceDir, 'b.txt'), seededBytes(5000, 2)));
  await step('a2', 'a.txt', () => writeFile(join(sourceDir, 'a.txt'), seededBytes(6000, 3)));
  await step('d', 'd', () => mkdir(join(sourceDir, 'd')));
  await step('a3', 'a.txt', () => rm(join(sourceDir, 'a.txt')));
  await step('b2', 'b.txt', () => writeFile(join(sourceDir, 'b.txt'), seededBytes(7000, 4)));
  return { logDir, builder, seqs };
}

describe('EntrySeqs', () => {
  it('gives the newest entry of the path below a seq when it is a version with chunks, nothing for a delete or a folder', async () => {
    const { logDir, builder, seqs } = await history();
    const store = await openStore(logDir, { readOnly: true, workers: 0 });
    closers.push(() => store.close());
    const index = new EntrySeqs(store);
    const root = builder.root;
    expect(await index.versionBelow(seqs.a2!, root, 'a.txt')).toBe(seqs.a1);
    expect(await index.versionBelow(seqs.a2! + 1, root, 'a.txt')).toBe(seqs.a2);
    expect(await index.versionBelow(seqs.a1!, root, 'a.txt')).toBeUndefined(); // nothing below the first
    expect(await index.versionBelow(seqs.a3! + 1, root, 'a.txt')).toBeUndefined(); // the newest is a delete
    expect(await index.versionBelow(seqs.b2!, root, 'b.txt')).toBe(seqs.b1);
    expect(await index.versionBelow(seqs.b2! + 1, root, 'd')).toBeUndefined(); // a folder: no chunks
    expect(await index.versionBelow(seqs.b2!, 'other', 'b.txt')).toBeUndefined(); // another root
  });

  it('reads on as the log grows: a version appended after the index was built is found', async () => {
    const { logDir, builder, seqs } = await history();
    const store = await openStore(logDir, { readOnly: true, workers: 0 });
    closers.push(() => store.close());
    const index = new EntrySeqs(store);
    expect(await index.versionBelow(seqs.b2! + 1, builder.root, 'b.txt')).toBe(seqs.b2);
    await writeFile(join(builder.sourceDir, 'b.txt'), seededBytes(8000, 5));
    const [b3] = await builder.store.appendRecords([(await builder.versionOf('b.txt'))!]);
    await writeFile(join(builder.sourceDir, 'b.txt'), seededBytes(9000, 6));
    const [b4] = await builder.store.appendRecords([(await builder.versionOf('b.txt'))!]);
    // Asked for a seq past what it read: it reads on first (and two callers at once share the reading).
    const [below4, below3] = await Promise.all([index.versionBelow(b4!.seq, builder.root, 'b.txt'), index.versionBelow(b3!.seq, builder.root, 'b.txt')]);
    expect(below4).toBe(b3!.seq);
    expect(below3).toBe(seqs.b2);
  });
});

describe('ReadDeltas', () => {
  it('makes a delta against the base it finds by seq, never building the store catalog (which keeps every record)', async () => {
    const { sourceDir, logDir, builder } = await sourceLog();
    const big = seededBytes(4 * 1024 * 1024, 7);
    await writeFile(join(sourceDir, 'big.bin'), big);
    const [first] = await builder.store.appendRecords([(await builder.versionOf('big.bin'))!]);
    big.fill(0x41, 2 * 1024 * 1024, 2 * 1024 * 1024 + 1024);
    await writeFile(join(sourceDir, 'big.bin'), big);
    const [second] = await builder.store.appendRecords([(await builder.versionOf('big.bin'))!]);
    const opened = await openStore(logDir, { readOnly: true, workers: 0 });
    closers.push(() => opened.close());
    const noCatalog: StoreApi = Object.create(opened, { catalog: { value: () => Promise.reject(new Error('the catalog was asked for')) } });
    const stats = { deltasSent: 0, deltaBytesSaved: 0 };
    const deltas = new ReadDeltas(noCatalog, stats);
    const log = await Log.open(logDir, { readOnly: true });
    closers.push(() => log.close());
    const entries = [];
    for await (const entry of log.read({ fromSeq: first!.seq, tags: [RECORD_TAGS.version], withFrames: true })) entries.push(entry);
    const [firstEntry, secondEntry] = entries.filter((entry) => entry.seq === first!.seq || entry.seq === second!.seq);
    expect(await deltas.messageFor(firstEntry!)).toBeUndefined(); // no version below the first
    const message = await deltas.messageFor(secondEntry!);
    expect(message).toBeDefined();
    expect(stats.deltasSent).toBe(1);
    expect(stats.deltaBytesSaved).toBeGreaterThan(0);
  });
});
