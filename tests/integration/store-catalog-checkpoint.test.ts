// The catalog checkpoint is an optimisation, never an authority: used only when it proves it matches the segments,
// it gives the same catalog as a full replay of the log; missing, damaged, stale, foreign or holding a record the
// log's reader would refuse, it is not used and the catalog is replayed from the segments.
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG_CHECKPOINT_FILE_NAME, openStore, type Store } from '../../src/store/index.js';
import { checksum64 } from '../../src/store/checksum.js';
import { LIMITS } from '../../src/util/limits.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { prng, versionOf } from '../unit/store/store-fixtures.js';

const FILE_BYTES = 256 * 1024;

/** Enough new log bytes for the writer to save a checkpoint on close (random data: stored raw). */
const FILES_FOR_CHECKPOINT = Math.ceil(LIMITS.catalogCheckpointEveryBytes / FILE_BYTES) + 2;

async function addFiles(store: Store, seed: number, count: number, bytes = FILE_BYTES): Promise<void> {
  for (let i = 0; i < count; i++) {
    const content = await store.ingestStream((async function* () { yield prng(bytes, seed * 1000 + i); })());
    await store.appendRecords([versionOf('r', `f-${seed}-${i}`, content)]);
  }
}

/** The catalog as text: every path's history (seq, segment, offset, kind, version id), roots and watches. */
async function catalogOf(store: Store): Promise<string[]> {
  const catalog = await store.catalog();
  const lines = catalog.paths().flatMap((p) => catalog.history(p.root, p.path).map((e) => `${p.display} ${e.seq} ${e.segment} ${e.offset} ${e.record.kind} ${e.record.versionId}`));
  return [...lines, `roots ${catalog.roots().join(',')}`, `versions ${catalog.versionCount} bytes ${catalog.logicalBytes}`, ...catalog.watches().map((w) => `watch ${w.seq}`)];
}

/** The catalog a full replay gives (the checkpoint set aside), read-only so nothing is written. */
async function replayedCatalog(logDir: string): Promise<string[]> {
  const file = join(logDir, CATALOG_CHECKPOINT_FILE_NAME);
  const saved = await readFile(file).catch(() => undefined);
  await rm(file, { force: true });
  const store = await openStore(logDir, { readOnly: true });
  try {
    const lines = await catalogOf(store);
    expect(store.catalogReport?.source).toBe('replayed');
    return lines;
  } finally {
    await store.close();
    if (saved) await writeFile(file, saved);
  }
}

async function build(segmentBytesMax = 2 * 1024 * 1024): Promise<string> {
  const logDir = join(await makeTmpDir(), 'log');
  const store = await openStore(logDir, { workers: 0, segmentBytesMax });
  await addFiles(store, 1, FILES_FOR_CHECKPOINT);
  await store.catalog(); // a writer saves the checkpoint only of a catalog it read
  await store.close();
  return logDir;
}

async function openedCatalog(logDir: string): Promise<{ lines: string[]; report: Store['catalogReport'] }> {
  const store = await openStore(logDir, { workers: 0 });
  try {
    const lines = await catalogOf(store);
    return { lines, report: store.catalogReport };
  } finally {
    await store.close();
  }
}

describe('catalog checkpoint', () => {
  it('is written by a writer whose log grew enough, and used when it matches the segments', async () => {
    const logDir = await build();
    await expect(readFile(join(logDir, CATALOG_CHECKPOINT_FILE_NAME))).resolves.toBeDefined();
    const opened = await openedCatalog(logDir);
    expect(opened.report).toEqual({ source: 'checkpoint', restoredRecords: FILES_FOR_CHECKPOINT });
    expect(opened.lines).toEqual(await replayedCatalog(logDir));
  });

  it('is not rewritten for a few appends, and the records after it are read from the log', async () => {
    const logDir = await build();
    const before = await readFile(join(logDir, CATALOG_CHECKPOINT_FILE_NAME));
    const store = await openStore(logDir, { workers: 0 });
    await addFiles(store, 2, 3, 1000);
    await store.catalog();
    await store.close();
    expect((await readFile(join(logDir, CATALOG_CHECKPOINT_FILE_NAME))).equals(before)).toBe(true);
    const opened = await openedCatalog(logDir);
    expect(opened.report?.source).toBe('checkpoint');
    expect(opened.lines.filter((line) => line.startsWith('r/f-2-'))).toHaveLength(3);
    expect(opened.lines).toEqual(await replayedCatalog(logDir));
  });

  it('is replayed when missing', async () => {
    const logDir = await build();
    const expected = await replayedCatalog(logDir);
    await rm(join(logDir, CATALOG_CHECKPOINT_FILE_NAME));
    const opened = await openedCatalog(logDir);
    expect(opened.report).toEqual({ source: 'replayed', problem: 'missing', restoredRecords: 0 });
    expect(opened.lines).toEqual(expected);
  });

  it('is not trusted when damaged (a flipped byte): checksum', async () => {
    const logDir = await build();
    const expected = await replayedCatalog(logDir);
    const file = join(logDir, CATALOG_CHECKPOINT_FILE_NAME);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
    await writeFile(file, bytes);
    const opened = await openedCatalog(logDir);
    expect(opened.report).toMatchObject({ source: 'replayed', problem: expect.stringContaining('checksum') });
    expect(opened.lines).toEqual(expected);
  });

  it('is not trusted when a record in it would not decode, even with a matching checksum', async () => {
    const logDir = await build();
    const expected = await replayedCatalog(logDir);
    const file = join(logDir, CATALOG_CHECKPOINT_FILE_NAME);
    const bytes = new Uint8Array(await readFile(file));
    const body = bytes.subarray(0, bytes.length - 8);
    // The first record's path ("f-1-0") turned into "..../": a path the record decoder refuses.
    const at = Buffer.from(body).indexOf('f-1-0');
    expect(at).toBeGreaterThan(0);
    body.set(Buffer.from('../..'), at);
    bytes.set(await checksum64(body), body.length);
    await writeFile(file, bytes);
    const opened = await openedCatalog(logDir);
    expect(opened.report).toMatchObject({ source: 'replayed', problem: expect.stringContaining('unreadable') });
    expect(opened.lines).toEqual(expected);
  });

  it('is not trusted when it belongs to another log (foreign)', async () => {
    const logDir = await build();
    const other = await build();
    const expected = await replayedCatalog(logDir);
    await copyFile(join(other, CATALOG_CHECKPOINT_FILE_NAME), join(logDir, CATALOG_CHECKPOINT_FILE_NAME));
    const opened = await openedCatalog(logDir);
    expect(opened.report).toMatchObject({ source: 'replayed', problem: expect.stringContaining('stale') });
    expect(opened.lines).toEqual(expected);
  });

  it('is not used by a reader (which replays the segments, so it reports damage in any of them)', async () => {
    const logDir = await build();
    for (const options of [{ readOnly: true }, { readOnly: true, skipDamaged: true }]) {
      const store = await openStore(logDir, options);
      try {
        await store.catalog();
        expect(store.catalogReport).toMatchObject({ source: 'replayed', problem: 'read-only store' });
      } finally {
        await store.close();
      }
    }
  });
});
