// Fault model: the log's newest records are lost after the catalog checkpoint was written (here the segment is cut
// short by hand and its durable floor removed, so the next open takes the cut for a torn tail and cuts it), and,
// a writer dies (kill -9) after the checkpoint, leaving records the checkpoint does not hold.
// What must hold: a checkpoint that covers records the log no longer has is never trusted (the catalog is replayed
// and does not list the lost version); records after a checkpoint that still matches are read from the log.
import { readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG_CHECKPOINT_FILE_NAME, openStore } from '../../src/store/index.js';
import { LIMITS } from '../../src/util/limits.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { childExit, prng, spawnTsChild, STORE_SOURCE, versionOf } from '../unit/store/store-fixtures.js';

const FILES = Math.ceil(LIMITS.catalogCheckpointEveryBytes / (256 * 1024)) + 2;

async function buildWithCheckpoint(): Promise<string> {
  const logDir = join(await makeTmpDir(), 'log');
  const store = await openStore(logDir, { workers: 0 });
  for (let i = 0; i < FILES; i++) {
    const content = await store.ingestStream((async function* () { yield prng(256 * 1024, i + 1); })());
    await store.appendRecords([versionOf('r', `f-${i}`, content)]);
  }
  await store.catalog();
  await store.close();
  await stat(join(logDir, CATALOG_CHECKPOINT_FILE_NAME)); // written
  return logDir;
}

async function newestSegment(logDir: string): Promise<string> {
  const names = (await readdir(logDir)).filter((name) => name.endsWith('.seg')).sort();
  return join(logDir, names[names.length - 1]!);
}

describe('catalog checkpoint after a fault', () => {
  it('is not trusted once the tail it covered was cut: the lost version is not listed', async () => {
    const logDir = await buildWithCheckpoint();
    const segment = await newestSegment(logDir);
    await truncate(segment, (await stat(segment)).size - 3); // the last record (f-LAST's version) torn
    // Without the durable floor the open takes the cut record for a torn tail (with it, it refuses to open: loss of
    // a durable record), which is the case where a checkpoint could outlive records the log lost.
    await rm(join(logDir, 'durable.seq'));
    const store = await openStore(logDir, { workers: 0 });
    try {
      expect(store.recovery?.bytesCut).toBeGreaterThan(0); // the open cut the torn record
      const catalog = await store.catalog();
      expect(store.catalogReport).toMatchObject({ source: 'replayed', problem: expect.stringContaining('stale') });
      expect(catalog.latest('r', `f-${FILES - 1}`)).toBeUndefined();
      expect(catalog.latest('r', `f-${FILES - 2}`)?.record.kind).toBe('version');
    } finally {
      await store.close();
    }
  });

  it('reads the records a writer killed after the checkpoint left, from the log', async () => {
    const logDir = await buildWithCheckpoint();
    const before = await readFile(join(logDir, CATALOG_CHECKPOINT_FILE_NAME));
    const dir = await makeTmpDir();
    const child = spawnTsChild(
      dir,
      'kill-after-append.ts',
      `import { openStore } from STORE;
       import { newVersionId } from ${JSON.stringify(STORE_SOURCE.replace(/store[\\/]index\.ts$/, 'record/index.ts'))};
       const store = await openStore(process.argv[2], { workers: 0 });
       const content = await store.ingestStream((async function* () { yield new Uint8Array(5000).fill(7); })());
       const time = Date.now();
       await store.appendRecords([{ kind: 'version', versionId: newVersionId(time), time, root: 'r', path: 'late', type: 'file', event: 'created', size: content.size, mtimeMs: time, mode: 0o644, uid: 0, gid: 0, contentId: content.contentId, chunks: content.chunks }]);
       process.stdout.write('appended\\n');
       process.kill(process.pid, 'SIGKILL');`,
      [logDir],
    );
    const exit = await childExit(child);
    expect(exit.stdout).toContain('appended');
    expect(exit.signal).toBe('SIGKILL');
    expect((await readFile(join(logDir, CATALOG_CHECKPOINT_FILE_NAME))).equals(before)).toBe(true);
    const store = await openStore(logDir, { workers: 0 });
    try {
      const catalog = await store.catalog();
      expect(store.catalogReport?.source).toBe('checkpoint');
      expect(catalog.latest('r', 'late')?.record.kind).toBe('version');
      expect(catalog.latest('r', `f-${FILES - 1}`)?.record.kind).toBe('version');
    } finally {
      await store.close();
    }
  });
});
