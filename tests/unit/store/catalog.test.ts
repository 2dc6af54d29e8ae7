// The catalog as a plain object fed with stored records: history, renames, treeAt, findVersion, ordering.
import { describe, expect, it } from 'vitest';
import type { DeleteRecord, LogRecord, VersionRecord } from '../../../src/record/index.js';
import { Catalog, type StoredRecord } from '../../../src/store/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

function version(path: string, time: number, id: string, extra: Partial<VersionRecord> = {}): VersionRecord {
  return { kind: 'version', versionId: id, time, root: 'r', path: path as LogPath, type: 'file', event: 'created', size: 10, mtimeMs: time, mode: 0o644, uid: 0, gid: 0, contentId: new Uint8Array(32), chunks: [{ id: new Uint8Array(32), size: 10 }], ...extra };
}
function tombstone(path: string, time: number, id: string, renamedTo?: string): DeleteRecord {
  return { kind: 'delete', versionId: id, time, root: 'r', path: path as LogPath, type: 'file', ...(renamedTo ? { renamedTo: renamedTo as LogPath } : {}) };
}

function catalogOf(records: LogRecord[]): Catalog {
  const stored: StoredRecord[] = records.map((record, seq) => ({ seq, segment: 's', offset: seq * 100, record }));
  const catalog = new Catalog(async function* (from) {
    yield* stored.filter((s) => s.seq >= from && s.record.kind !== 'chunk');
  }, () => stored.length);
  return catalog;
}

const records: LogRecord[] = [
  version('a.txt', 1000, 'aaaaaa0000000000000a'),
  version('b.txt', 1000, 'aaaaab0000000000000b'),
  version('a.txt', 2000, 'bbbbbb0000000000000c', { event: 'modified' }),
  tombstone('b.txt', 3000, 'cccccc0000000000000d', 'c.txt'),
  version('c.txt', 3000, 'cccccc0000000000000e', { event: 'renamed', renamedFrom: 'b.txt' as LogPath }),
  tombstone('a.txt', 4000, 'dddddd0000000000000f'),
];

describe('catalog', () => {
  it('keeps every path’s versions and tombstones in order', async () => {
    const catalog = catalogOf(records);
    expect(await catalog.refresh()).toBe(6);
    expect(catalog.nextSeq).toBe(6);
    expect(catalog.roots()).toEqual(['r']);
    expect(catalog.paths().map((p) => [p.display, p.count, p.deleted])).toEqual([
      ['r/a.txt', 3, true],
      ['r/b.txt', 2, true],
      ['r/c.txt', 1, false],
    ]);
    expect(catalog.history('r', 'a.txt').map((h) => h.record.versionId)).toEqual(['aaaaaa0000000000000a', 'bbbbbb0000000000000c', 'dddddd0000000000000f']);
    expect((catalog.latest('r', 'b.txt')!.record as DeleteRecord).renamedTo).toBe('c.txt');
    expect(catalog.history('r', 'zzz')).toEqual([]);
    expect(catalog.versionCount).toBe(4);
  });

  it('rebuilds the tree at a time or a seq', async () => {
    const catalog = catalogOf(records);
    await catalog.refresh();
    const ids = (tree: Map<string, StoredRecord<VersionRecord>>) => Object.fromEntries([...tree].map(([k, v]) => [k, v.record.versionId]));
    expect(ids(catalog.treeAt({ timeMs: 1500 }))).toEqual({ 'r/a.txt': 'aaaaaa0000000000000a', 'r/b.txt': 'aaaaab0000000000000b' });
    expect(ids(catalog.treeAt({ timeMs: 3000 }))).toEqual({ 'r/a.txt': 'bbbbbb0000000000000c', 'r/c.txt': 'cccccc0000000000000e' });
    expect(ids(catalog.treeAt({ atSeq: 5 }))).toEqual({ 'r/c.txt': 'cccccc0000000000000e' });
    expect(ids(catalog.treeAt({}))).toEqual({ 'r/c.txt': 'cccccc0000000000000e' });
  });

  it('finds versions by id or unique prefix of at least 6 characters', async () => {
    const catalog = catalogOf(records);
    await catalog.refresh();
    expect(catalog.findVersion('bbbbbb0000000000000c')?.seq).toBe(2);
    expect(catalog.findVersion('bbbbbb')?.seq).toBe(2);
    expect(catalog.findVersion('bbbbb')).toBeUndefined();
    expect(catalog.findVersion('aaaaa')).toBeUndefined();
    expect(catalog.findVersion('cccccc')).toBeUndefined(); // two versions share it
    expect(catalog.findVersion('aaaaab')?.seq).toBe(1);
  });

  it('applies this store’s own appends in seq order even when notices arrive out of order', async () => {
    const catalog = new Catalog(async function* () {}, () => 0);
    await catalog.refresh();
    const at = (seq: number, record?: LogRecord) => ({ seq, stored: record ? { seq, segment: 's', offset: seq, record } : undefined });
    catalog.noteAppended([at(2, records[2]), at(3, records[3])]);
    expect(catalog.nextSeq).toBe(0);
    catalog.noteAppended([at(1)]); // a chunk
    catalog.noteAppended([at(0, records[0])]);
    expect(catalog.nextSeq).toBe(4);
    expect(catalog.history('r', 'a.txt').map((h) => h.seq)).toEqual([0, 2]);
  });
});
