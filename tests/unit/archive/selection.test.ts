// Selections over a catalog (an in-memory stand-in with the CatalogApi shape): which records, in which order, and
// which go in the archive's tree.
import { describe, expect, it } from 'vitest';
import { parseAt, selectRecords } from '../../../src/archive/selection.js';
import { NotFoundError, UsageError } from '../../../src/errors.js';
import { findVersionById, type EntryRecord, type VersionRecord } from '../../../src/record/index.js';
import type { CatalogApi, StoredRecord } from '../../../src/store/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

let seq = 0;
function v(root: string, path: string, type: VersionRecord['type'] = 'file'): StoredRecord<EntryRecord> {
  seq += 1;
  const versionId = seq.toString(16).padStart(20, '0');
  return { seq, segment: 's', offset: 0, record: { kind: 'version', versionId, time: seq * 1000, root, path: path as LogPath, type, event: 'created', size: 0, mtimeMs: 0, mode: 0, uid: 0, gid: 0 } };
}
function del(root: string, path: string): StoredRecord<EntryRecord> {
  seq += 1;
  return { seq, segment: 's', offset: 0, record: { kind: 'delete', versionId: seq.toString(16).padStart(20, '0'), time: seq * 1000, root, path: path as LogPath, type: 'file' } };
}

function catalogOf(all: StoredRecord<EntryRecord>[]): CatalogApi {
  const byPath = new Map<string, StoredRecord<EntryRecord>[]>();
  for (const s of all) {
    const key = `${s.record.root}/${s.record.path}`;
    byPath.set(key, [...(byPath.get(key) ?? []), s]);
  }
  const paths = [...byPath.keys()].sort().map((display) => {
    const h = byPath.get(display)!;
    const last = h.at(-1)!;
    return { root: last.record.root, path: last.record.path, display, count: h.length, latest: last, deleted: last.record.kind === 'delete' };
  });
  return {
    nextSeq: seq + 1,
    roots: () => [...new Set(all.map((s) => s.record.root))],
    paths: () => paths,
    history: (root, path) => byPath.get(`${root}/${path}`) ?? [],
    findVersion: (id) => all.find((s) => s.record.versionId === id) ?? (id.length >= 6 ? all.filter((s) => s.record.versionId.startsWith(id)).at(0) : undefined),
    resolveVersion: (id) => findVersionById(all, id, 'the log'),
    latest: (root, path) => byPath.get(`${root}/${path}`)?.at(-1),
    watches: () => [],
    isForgotten: () => false,
    treeAt: ({ timeMs, atSeq }) => {
      const tree = new Map<string, StoredRecord<VersionRecord>>();
      for (const [display, h] of byPath) {
        const last = h.filter((s) => (timeMs === undefined || s.record.time <= timeMs) && (atSeq === undefined || s.seq <= atSeq)).at(-1);
        if (last?.record.kind === 'version') tree.set(display, last as StoredRecord<VersionRecord>);
      }
      return tree;
    },
    refresh: async () => 0,
  };
}

const a1 = v('r', 'a');
const d = v('r', 'd', 'dir');
const dx = v('r', 'd/x');
const a2 = v('r', 'a');
const gone = v('r', 'gone');
const goneDel = del('r', 'gone');
const other = v('s', 'y');
const catalog = catalogOf([a1, d, dx, a2, gone, goneDel, other]);
const ids = (picked: ReturnType<typeof selectRecords>) => picked.map((p) => [p.stored.seq, p.latest]);

describe('selectRecords', () => {
  it('all: every record in log order; the newest version of each live path is latest', () => {
    expect(ids(selectRecords(catalog, { kind: 'all' }))).toEqual([
      [a1.seq, false], [d.seq, true], [dx.seq, true], [a2.seq, true], [gone.seq, false], [goneDel.seq, false], [other.seq, true],
    ]);
  });

  it('version: one, by id or prefix; a delete or an unknown id is refused', () => {
    expect(ids(selectRecords(catalog, { kind: 'version', versionId: a1.record.versionId }))).toEqual([[a1.seq, true]]);
    expect(() => selectRecords(catalog, { kind: 'version', versionId: goneDel.record.versionId })).toThrow(NotFoundError);
    expect(() => selectRecords(catalog, { kind: 'version', versionId: 'f'.repeat(20) })).toThrow(NotFoundError);
  });

  it('path: a file, a directory with everything below it, a whole root', () => {
    expect(ids(selectRecords(catalog, { kind: 'path', path: 'r/a' }))).toEqual([[a1.seq, false], [a2.seq, true]]);
    expect(ids(selectRecords(catalog, { kind: 'path', path: 'r/d' }))).toEqual([[d.seq, true], [dx.seq, true]]);
    expect(selectRecords(catalog, { kind: 'path', path: 's/' })).toHaveLength(1);
    expect(() => selectRecords(catalog, { kind: 'path', path: 'r/nope' })).toThrow(NotFoundError);
  });

  it('at: the live tree at a time or at a version', () => {
    expect(ids(selectRecords(catalog, { kind: 'at', timeMs: gone.record.time }))).toEqual([[d.seq, true], [dx.seq, true], [a2.seq, true], [gone.seq, true]]);
    expect(ids(selectRecords(catalog, { kind: 'at', versionId: dx.record.versionId }))).toEqual([[a1.seq, true], [d.seq, true], [dx.seq, true]]);
    expect(() => selectRecords(catalog, { kind: 'at' })).toThrow(UsageError);
  });

  it('never puts a latest entry below a latest non-directory', () => {
    const f = v('t', 'p');
    const below = v('t', 'p/q'); // p became a file without a delete of p/q: q cannot sit in the tree under it
    const picked = selectRecords(catalogOf([below, f]), { kind: 'all' });
    expect(picked.map((p) => [p.stored.record.path, p.latest])).toEqual([['p', true], ['p/q', false]]);
  });
});

describe('parseAt', () => {
  it('reads version ids, ms and dates', () => {
    expect(parseAt('0123456789abcdef0123')).toEqual({ kind: 'at', versionId: '0123456789abcdef0123' });
    expect(parseAt('0123ab')).toEqual({ kind: 'at', versionId: '0123ab' });
    expect(parseAt('1700000000000')).toEqual({ kind: 'at', timeMs: 1_700_000_000_000 });
    expect(parseAt('2024-01-02T03:04:05Z')).toEqual({ kind: 'at', timeMs: Date.UTC(2024, 0, 2, 3, 4, 5) });
    expect(() => parseAt('soon')).toThrow(UsageError);
  });
});
