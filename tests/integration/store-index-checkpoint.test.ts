// The chunk index checkpoint is an optimisation, never an authority: a missing, damaged, stale or foreign checkpoint
// is detected and the index rebuilt from the segments, with the same result as a full scan.
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE_NAME, openStore, type Store } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { prng, versionOf } from '../unit/store/store-fixtures.js';

async function addFiles(store: Store, seed: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const content = await store.ingestStream((async function* () { yield prng(200 * 1024, seed * 1000 + i); })());
    await store.appendRecords([versionOf('r', `f-${seed}-${i}`, content)]);
  }
}

function indexOf(store: Store): string[] {
  return [...store.index.entries()].map((e) => `${Buffer.from(e.id).toString('hex')} ${e.segment} ${e.offset} ${e.size}`).sort();
}

/** The index a full scan of the log produces (no checkpoint at all), read-only so nothing is written. */
async function fullScanIndex(logDir: string): Promise<string[]> {
  const saved = await readFile(join(logDir, CHECKPOINT_FILE_NAME)).catch(() => undefined);
  await rm(join(logDir, CHECKPOINT_FILE_NAME), { force: true });
  const store = await openStore(logDir, { readOnly: true });
  try {
    expect(store.indexReport.source).toBe('rebuilt');
    return indexOf(store);
  } finally {
    await store.close();
    if (saved) await writeFile(join(logDir, CHECKPOINT_FILE_NAME), saved);
  }
}

async function build(segmentBytesMax = 512 * 1024): Promise<string> {
  const logDir = join(await makeTmpDir(), 'log');
  const store = await openStore(logDir, { workers: 0, segmentBytesMax });
  await addFiles(store, 1, 6);
  await store.close();
  return logDir;
}

describe('chunk index checkpoint', () => {
  it('is used when it matches the segments', async () => {
    const logDir = await build();
    const store = await openStore(logDir, { workers: 0 });
    try {
      expect(store.indexReport).toEqual({ source: 'checkpoint', scannedRecords: 0 });
      expect(indexOf(store)).toEqual(await fullScanIndex(logDir));
      expect(store.index.count).toBeGreaterThan(6);
    } finally {
      await store.close();
    }
  });

  it('is rebuilt when missing', async () => {
    const logDir = await build();
    const expected = await fullScanIndex(logDir);
    await rm(join(logDir, CHECKPOINT_FILE_NAME));
    const store = await openStore(logDir, { workers: 0 });
    expect(store.indexReport).toMatchObject({ source: 'rebuilt', problem: 'missing' });
    expect(indexOf(store)).toEqual(expected);
    await store.close();
    const reopened = await openStore(logDir, { workers: 0, readOnly: true });
    expect(reopened.indexReport.source).toBe('checkpoint'); // close wrote a fresh one
    await reopened.close();
  });

  it('is rebuilt when damaged (one flipped byte)', async () => {
    const logDir = await build();
    const expected = await fullScanIndex(logDir);
    const file = join(logDir, CHECKPOINT_FILE_NAME);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(file, bytes);
    const store = await openStore(logDir, { workers: 0, readOnly: true });
    expect(store.indexReport).toMatchObject({ source: 'rebuilt', problem: expect.stringMatching(/damaged/) });
    expect(indexOf(store)).toEqual(expected);
    await store.close();
  });

  it('is extended by a scan when the log grew after it (stale), and never trusted when the log was replaced', async () => {
    const logDir = await build();
    const old = join(logDir, '..', 'old-checkpoint');
    await copyFile(join(logDir, CHECKPOINT_FILE_NAME), old);
    const writer = await openStore(logDir, { workers: 0 });
    await addFiles(writer, 2, 4);
    await writer.close();
    await copyFile(old, join(logDir, CHECKPOINT_FILE_NAME)); // as if the process died before its next checkpoint
    const expected = await fullScanIndex(logDir);
    const store = await openStore(logDir, { workers: 0, readOnly: true });
    expect(store.indexReport.source).toBe('checkpoint');
    expect(store.indexReport.scannedRecords).toBeGreaterThan(0);
    expect(indexOf(store)).toEqual(expected);
    await store.close();

    // Another log with the same segment names and sizes: its checkpoint must not be believed here.
    const other = await build();
    await copyFile(join(other, CHECKPOINT_FILE_NAME), join(logDir, CHECKPOINT_FILE_NAME));
    const fooled = await openStore(logDir, { workers: 0, readOnly: true });
    expect(fooled.indexReport).toMatchObject({ source: 'rebuilt', problem: expect.stringMatching(/stale/) });
    expect(indexOf(fooled)).toEqual(expected);
    await fooled.close();
  });
});
