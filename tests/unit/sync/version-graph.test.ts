// The causal order of a path's records: descends-from beats any clock, concurrent heads pick one winner the same
// way in any order, an edit beats a delete, identical concurrent heads are no conflict, a missing base waits.
import { describe, expect, it } from 'vitest';
import type { DeleteRecord, VersionRecord } from '../../../src/record/index.js';
import { conflictCopyPath, isConflictCopy, resolvePath, shortNodeId, type SyncEntry } from '../../../src/sync/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

const A = '0-aaaa111100000000';
const B = '0-bbbb222200000000';
let seq = 0;
let idCounter = 0;

function id(): string {
  return (++idCounter).toString(16).padStart(20, '0');
}

function version(node: string, mtimeMs: number, content: number, basedOn?: string): SyncEntry {
  const record: VersionRecord = {
    kind: 'version', versionId: id(), time: mtimeMs, root: 'r', path: 'notes.md' as LogPath, type: 'file', event: 'modified',
    size: 1, mtimeMs, mode: 0o644, uid: 0, gid: 0, contentId: new Uint8Array(32).fill(content), chunks: [{ id: new Uint8Array(32).fill(content), size: 1 }],
  };
  if (basedOn) record.basedOn = basedOn;
  return { record, node, seq: seq++ };
}

function deletion(node: string, basedOn?: string): SyncEntry {
  const record: DeleteRecord = { kind: 'delete', versionId: id(), time: 0, root: 'r', path: 'notes.md' as LogPath, type: 'file' };
  if (basedOn) record.basedOn = basedOn;
  return { record, node, seq: seq++ };
}

describe('resolvePath', () => {
  it('a record that descends from another wins whatever its mtime says (a clock behind)', () => {
    const v1 = version(A, 10_000, 1);
    const v2 = version(B, 5_000, 2, v1.record.versionId);
    for (const order of [[v1, v2], [v2, v1]]) {
      const r = resolvePath(order);
      expect(r.winner).toBe(v2);
      expect(r.conflicts).toEqual([]);
    }
  });

  it('concurrent edits: the later mtime wins on every node, in any order, and the other is a conflict', () => {
    const base = version(A, 1_000, 1);
    const a = version(A, 3_000, 2, base.record.versionId);
    const b = version(B, 4_000, 3, base.record.versionId);
    for (const order of [[base, a, b], [b, a, base], [a, base, b]]) {
      const r = resolvePath(order);
      expect(r.winner).toBe(b);
      expect(r.conflicts).toEqual([a]);
    }
  });

  it('equal mtimes: the higher node id wins', () => {
    const a = version(A, 3_000, 2);
    const b = version(B, 3_000, 3);
    expect(resolvePath([b, a]).winner).toBe(b);
    expect(resolvePath([a, b]).winner).toBe(b);
  });

  it('an edit concurrent with a delete wins, and the delete leaves no conflict copy', () => {
    const base = version(A, 1_000, 1);
    const edit = version(A, 500, 2, base.record.versionId);
    const gone = deletion(B, base.record.versionId);
    const r = resolvePath([base, gone, edit]);
    expect(r.winner).toBe(edit);
    expect(r.conflicts).toEqual([]);
  });

  it('a delete that saw the edit stands', () => {
    const edit = version(A, 1_000, 2);
    const gone = deletion(B, edit.record.versionId);
    expect(resolvePath([gone, edit]).winner).toBe(gone);
  });

  it('concurrent heads with the same content are no conflict', () => {
    const a = version(A, 1_000, 7);
    const b = version(B, 2_000, 7);
    const r = resolvePath([a, b]);
    expect(r.winner).toBe(b);
    expect(r.conflicts).toEqual([]);
  });

  it('a base not held yet makes the path wait instead of calling it a conflict', () => {
    const own = version(A, 1_000, 1);
    const later = version(B, 2_000, 2, 'ffffffffffffffffffff');
    expect(resolvePath([own, later]).waitingFor).toBe('ffffffffffffffffffff');
  });

  it('a basedOn cycle (a hostile log) ends', () => {
    const a = version(A, 1_000, 1);
    const b = version(B, 2_000, 2, a.record.versionId);
    a.record.basedOn = b.record.versionId;
    const r = resolvePath([a, b]);
    expect(r.winner).toBeDefined();
  });
});

describe('conflict copy names', () => {
  it('name.sync-conflict-YYYYMMDD-HHMMSS-<node>.ext from the loser mtime (UTC) and node', () => {
    const at = Date.UTC(2026, 11, 2, 11, 0, 5);
    expect(conflictCopyPath('a/b/notes.md', at, shortNodeId(A))).toBe('a/b/notes.sync-conflict-20261202-110005-aaaa1111.md');
    expect(conflictCopyPath('Makefile', at, 'aaaa1111')).toBe('Makefile.sync-conflict-20261202-110005-aaaa1111');
    expect(conflictCopyPath('.bashrc', at, 'aaaa1111')).toBe('.bashrc.sync-conflict-20261202-110005-aaaa1111');
    expect(conflictCopyPath('x.tar.gz', at, 'aaaa1111')).toBe('x.tar.sync-conflict-20261202-110005-aaaa1111.gz');
    expect(isConflictCopy('a/b/notes.sync-conflict-20261202-110005-aaaa1111.md')).toBe(true);
    expect(isConflictCopy('a/b/notes.md')).toBe(false);
  });
});
