import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, isVersionId } from '../../../src/record/index.js';
import { planRecords, type Appeared, type Vanished } from '../../../src/watcher/batch-records.js';
import type { PresentEntry } from '../../../src/watcher/reconcile.js';

const content = new Uint8Array(32).fill(7);
const entry: PresentEntry = {
  type: 'file', size: 3, mtimeMs: 1000.5, mode: 0o644, uid: 1000, gid: 1000, ino: 5, contentId: content,
  chunks: [{ id: content, size: 3 }], bytesRead: 3,
};
const appeared = (path: string, isNew: boolean): Appeared => ({ key: `r/${path}`, root: 'r', path, type: 'file', size: 3, entry, isNew });
const vanished = (path: string): Vanished => ({ key: `r/${path}`, root: 'r', path, type: 'file', size: 3 });
const factory = { nowMs: 5000, ownerOf: (uid: number) => (uid === 1000 ? 'alice' : undefined), eventFor: (_k: string, _e: PresentEntry, isNew: boolean) => (isNew ? 'created' as const : 'modified' as const) };

describe('planRecords', () => {
  it('writes a move as an adjacent tombstone (renamedTo) and renamed version (renamedFrom)', () => {
    const planned = planRecords([{ gone: vanished('a.txt'), added: appeared('sub/a.txt', true) }], [], [], factory);
    expect(planned.map((p) => [p.record.kind, p.record.path, p.change, p.moveSource ?? false])).toEqual([
      ['delete', 'a.txt', 'deleted', true],
      ['version', 'sub/a.txt', 'renamed', false],
    ]);
    const [del, ver] = planned.map((p) => p.record);
    expect(del).toMatchObject({ renamedTo: 'sub/a.txt' });
    expect(ver).toMatchObject({ event: 'renamed', renamedFrom: 'a.txt', owner: 'alice' });
  });

  it('produces records the codec accepts (validated on decode)', () => {
    const planned = planRecords([], [appeared('new.txt', true), appeared('old.txt', false)], [vanished('gone.txt')], factory);
    expect(planned.map((p) => p.change)).toEqual(['created', 'modified', 'deleted']);
    for (const { record } of planned) {
      const { tag, payload } = encodeRecord(record);
      expect(decodeRecord(tag, payload)).toEqual(record);
      expect(isVersionId(record.versionId)).toBe(true);
    }
  });

  it('puts a folder before what is inside it, whatever order the batch arrived in', () => {
    const dirEntry: PresentEntry = { ...entry, type: 'dir', size: 0, contentId: undefined, chunks: undefined };
    const dir: Appeared = { key: 'r/b', root: 'r', path: 'b', type: 'dir', size: 0, entry: dirEntry, isNew: true };
    const planned = planRecords([{ gone: vanished('a/one.txt'), added: appeared('b/one.txt', true) }], [appeared('b/two.txt', true), dir], [], factory);
    expect(planned.map((p) => [p.record.path, p.change])).toEqual([
      ['b', 'created'],
      ['a/one.txt', 'deleted'],
      ['b/one.txt', 'renamed'],
      ['b/two.txt', 'created'],
    ]);
  });
});
