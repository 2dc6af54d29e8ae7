// Export → import round trips through real logs (built with the store API), one per selection: contents
// byte-identical, every record field kept, version ids kept, a second import adds nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportArchive, importArchive, parseManifest, readArchive, type ArchiveSelection } from '../../src/archive/index.js';
import type { DeleteRecord, EntryRecord, VersionRecord } from '../../src/record/index.js';
import type { StoreApi } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { TestLog, buildSampleLog, contentOf, sameBytes } from '../fixtures/archives/test-log.js';

const open: StoreApi[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

// One sample log serves as the source of every export (exports only read it).
// (makeTmpDir's directories go after each test, so this one is made and removed here.)
let sourceDir: string;
let source: TestLog;
let sample: Record<string, VersionRecord | DeleteRecord>;
beforeAll(async () => {
  sourceDir = await mkdtemp(join(tmpdir(), 'synclog-archive-source-'));
  source = await TestLog.open(join(sourceDir, 'log'));
  sample = await buildSampleLog(source);
});
afterAll(async () => {
  await source.store.close();
  await rm(sourceDir, { recursive: true, force: true });
});

async function freshLog(dir: string, name: string): Promise<TestLog> {
  const log = await TestLog.open(join(dir, name));
  open.push(log.store);
  return log;
}

async function entryRecords(store: StoreApi): Promise<EntryRecord[]> {
  const out: EntryRecord[] = [];
  for await (const { record } of store.entries({ kinds: ['version', 'delete'] })) out.push(record as EntryRecord);
  return out;
}

async function manifestOf(file: string) {
  for await (const { entry, body } of readArchive(file)) {
    const pieces: Uint8Array[] = [];
    for await (const p of body) pieces.push(p);
    expect(entry.path).toBe('.synclog/manifest.json');
    return parseManifest(Buffer.concat(pieces), file);
  }
  throw new Error('empty archive');
}

/** Exports `selection` from a sample log, imports it into a fresh log, and checks records and contents. */
async function roundTrip(selection: ArchiveSelection, expected: (r: typeof sample) => (VersionRecord | DeleteRecord)[]) {
  const dir = await makeTmpDir();
  const file = join(dir, 'out.tar.gz');
  const progress: [number, number][] = [];
  const exported = await exportArchive(source.store, selection, file, { onProgress: (done, total) => progress.push([done, total]) });
  const want = expected(sample);
  expect(exported.versions + exported.deletes).toBe(want.length);
  expect(progress.at(-1)).toEqual([exported.contentBytes, exported.contentBytes]);

  const target = await freshLog(dir, 'target');
  const imported = await importArchive(target.store, file);
  expect(imported).toMatchObject({ kind: 'synclog', versions: exported.versions, deletes: exported.deletes, skipped: 0 });
  const got = await entryRecords(target.store);
  expect(got).toEqual(want);
  for (const record of got) {
    if (record.kind === 'version' && record.type === 'file') {
      expect(sameBytes(await contentOf(target.store, record), await contentOf(source.store, record))).toBe(true);
    }
  }
  const again = await importArchive(target.store, file);
  expect(again).toMatchObject({ records: 0, versions: 0, deletes: 0, newChunks: 0, skipped: want.length });
  expect((await target.store.verify()).ok).toBe(true);
  return { file, sample, manifest: await manifestOf(file) };
}

describe('archive round trips', () => {
  it('an archive overlapping the log adds only what is missing, in the manifest order', async () => {
    const dir = await makeTmpDir();
    const partial = join(dir, 'a.tar.gz');
    const all = join(dir, 'all.tar.gz');
    await exportArchive(source.store, { kind: 'path', path: 'docs/a.txt' }, partial);
    await exportArchive(source.store, { kind: 'all' }, all);
    const target = await freshLog(dir, 'target');
    expect(await importArchive(target.store, partial)).toMatchObject({ versions: 3 });
    const second = await importArchive(target.store, all);
    const total = Object.keys(sample).length;
    expect(second).toMatchObject({ versions: total - 3 - 1, deletes: 1, skipped: 3 });
    const got = await entryRecords(target.store);
    expect(got.map((r) => r.versionId).sort()).toEqual(Object.values(sample).map((r) => r.versionId).sort());
    expect((await target.store.verify()).ok).toBe(true);
  });

  it('--all: every version and delete, in log order', async () => {
    const { manifest } = await roundTrip({ kind: 'all' }, (r) => Object.values(r));
    expect(manifest.manifest.selection).toEqual({ kind: 'all' });
  });

  it('--version: one version', async () => {
    const dir = await makeTmpDir();
    const file = join(dir, 'one.tar.gz');
    // A unique prefix is enough, as everywhere a version id is taken.
    await exportArchive(source.store, { kind: 'version', versionId: sample.b!.versionId.slice(0, 12) }, file);
    const target = await freshLog(dir, 'target');
    await importArchive(target.store, file);
    expect(await entryRecords(target.store)).toEqual([sample.b]);
    expect(sameBytes(await contentOf(target.store, sample.b as VersionRecord), await contentOf(source.store, sample.b as VersionRecord))).toBe(true);
  });

  it('--path: a file\'s whole history', async () => {
    await roundTrip({ kind: 'path', path: 'docs/a.txt' }, (r) => [r.a1!, r.a2!, r.a3!]);
  });

  it('--path: a subtree, deletes included', async () => {
    await roundTrip({ kind: 'path', path: 'docs' }, (r) => Object.values(r).filter((x) => x.root === 'docs'));
  });

  it('--at a version: the live tree as of that version', async () => {
    const { manifest } = await roundTrip({ kind: 'at', versionId: sample.link!.versionId }, (r) => [r.sub!, r.b!, r.a2!, r.link!]);
    expect(manifest.items.every((item) => item.entry === `${item.record.root}/${item.record.path}`)).toBe(true);
  });

  it('--at a time: the live tree then', async () => {
    const at = Date.UTC(2024, 0, 1) + 7_500; // after oldGone (7th record), before same1
    await roundTrip({ kind: 'at', timeMs: at }, (r) => [r.sub!, r.b!, r.a2!, r.link!]);
  });
});
