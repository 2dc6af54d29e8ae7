// Moves across paths: an edit concurrent with a rename of its file is carried to the new path (it wins there, no
// conflict, the old path stays deleted), whatever order the records arrive in; an edit made after the move was seen
// is not carried; an unrelated create at the old path is not carried; a rename chain carries to its end; a cycle ends.
import { describe, expect, it } from 'vitest';
import type { DeleteRecord, EntryRecord, VersionRecord } from '../../../src/record/index.js';
import { carriedOut, resolveWithMoves, type MoveGraphSource, type SyncEntry } from '../../../src/sync/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

const A = '0-aaaa111100000000';
const B = '0-bbbb222200000000';
let counter = 0;

function entry(record: EntryRecord, node: string, seq = counter): SyncEntry {
  return { record, node, seq };
}

function file(node: string, path: string, content: number, opts: { basedOn?: string; renamedFrom?: string; mtimeMs?: number } = {}): SyncEntry {
  const record: VersionRecord = {
    kind: 'version', versionId: (++counter).toString(16).padStart(20, '0'), time: 0, root: 'r', path: path as LogPath, type: 'file',
    event: opts.renamedFrom ? 'renamed' : 'modified', size: 1, mtimeMs: opts.mtimeMs ?? 1000, mode: 0o644, uid: 0, gid: 0,
    contentId: new Uint8Array(32).fill(content), chunks: [{ id: new Uint8Array(32).fill(content), size: 1 }],
  };
  if (opts.basedOn) record.basedOn = opts.basedOn;
  if (opts.renamedFrom) record.renamedFrom = opts.renamedFrom as LogPath;
  return entry(record, node);
}

function gone(node: string, path: string, basedOn: string, renamedTo?: string): SyncEntry {
  const record: DeleteRecord = { kind: 'delete', versionId: (++counter).toString(16).padStart(20, '0'), time: 0, root: 'r', path: path as LogPath, type: 'file', basedOn };
  if (renamedTo) record.renamedTo = renamedTo as LogPath;
  return entry(record, node);
}

function graphOf(entries: SyncEntry[]): MoveGraphSource {
  const at = new Map<string, SyncEntry[]>();
  const into = new Map<string, string[]>();
  for (const e of entries) {
    at.set(e.record.path, [...(at.get(e.record.path) ?? []), e]);
    if (e.record.kind === 'delete' && e.record.renamedTo) into.set(e.record.renamedTo, [...(into.get(e.record.renamedTo) ?? []), e.record.path]);
  }
  return { entriesAt: (p) => at.get(p) ?? [], renamedInto: (p) => into.get(p) ?? [] };
}

/** A moves x → y (tombstone + version, adjacent) while B edits x; both based on v1. */
function moveAndEdit() {
  const v1 = file(A, 'x', 1);
  const moveGone = gone(A, 'x', v1.record.versionId, 'y');
  const moveTo = file(A, 'y', 1, { renamedFrom: 'x' });
  const edit = file(B, 'x', 2, { basedOn: v1.record.versionId, mtimeMs: 500 });
  return { v1, moveGone, moveTo, edit };
}

describe('moves', () => {
  it('an edit concurrent with a move of its file wins at the new path, in any arrival order; the old path stays deleted', () => {
    const { v1, moveGone, moveTo, edit } = moveAndEdit();
    for (const order of [[v1, moveGone, moveTo, edit], [edit, moveTo, v1, moveGone], [moveTo, edit, moveGone, v1]]) {
      const graph = graphOf(order);
      const atY = resolveWithMoves('y', graph);
      expect(atY.winner?.record.versionId).toBe(edit.record.versionId);
      expect(atY.winner?.record.path).toBe('y');
      expect(atY.conflicts).toEqual([]);
      const atX = resolveWithMoves('x', graph);
      expect(atX.winner?.record.versionId).toBe(moveGone.record.versionId);
      expect(atX.conflicts).toEqual([]);
    }
  });

  it('without the move, the same edit against a plain delete brings the old path back (the rule for deletes is unchanged)', () => {
    const { v1, edit } = moveAndEdit();
    const plain = gone(A, 'x', v1.record.versionId);
    const atX = resolveWithMoves('x', graphOf([v1, plain, edit]));
    expect(atX.winner?.record.versionId).toBe(edit.record.versionId);
  });

  it('an edit made on top of the move at the new path descends from the carried edit (no conflict, no wait)', () => {
    const { v1, moveGone, moveTo, edit } = moveAndEdit();
    const later = file(B, 'y', 3, { basedOn: edit.record.versionId });
    const atY = resolveWithMoves('y', graphOf([v1, moveGone, moveTo, edit, later]));
    expect(atY.waitingFor).toBeUndefined();
    expect(atY.winner?.record.versionId).toBe(later.record.versionId);
    expect(atY.conflicts).toEqual([]);
  });

  it('an edit at the new path concurrent with the carried edit is a conflict there: both are kept', () => {
    const { v1, moveGone, moveTo, edit } = moveAndEdit();
    const onY = file(A, 'y', 4, { basedOn: moveTo.record.versionId, mtimeMs: 2000 });
    const atY = resolveWithMoves('y', graphOf([v1, moveGone, moveTo, edit, onY]));
    expect(atY.winner?.record.versionId).toBe(onY.record.versionId);
    expect(atY.conflicts.map((c) => c.record.versionId)).toEqual([edit.record.versionId]);
  });

  it('a create at the old path that never saw the file is not carried: it stays there', () => {
    const { v1, moveGone, moveTo } = moveAndEdit();
    const unrelated = file(B, 'x', 5);
    const graph = graphOf([v1, moveGone, moveTo, unrelated]);
    expect(carriedOut('x', graph)).toEqual([]);
    expect(resolveWithMoves('x', graph).winner?.record.versionId).toBe(unrelated.record.versionId);
    expect(resolveWithMoves('y', graph).winner?.record.versionId).toBe(moveTo.record.versionId);
  });

  it('a chain of moves (x → y → z) carries the edit to its end; a cycle of moves (… → x) ends', () => {
    const { v1, moveGone, moveTo, edit } = moveAndEdit();
    const goneY = gone(A, 'y', moveTo.record.versionId, 'z');
    const toZ = file(A, 'z', 1, { renamedFrom: 'y' });
    const chain = graphOf([v1, moveGone, moveTo, edit, goneY, toZ]);
    expect(resolveWithMoves('z', chain).winner?.record.versionId).toBe(edit.record.versionId);
    expect(resolveWithMoves('y', chain).winner?.record.versionId).toBe(goneY.record.versionId);
    const goneZ = gone(A, 'z', toZ.record.versionId, 'x');
    const backToX = file(A, 'x', 1, { renamedFrom: 'z', basedOn: moveGone.record.versionId });
    const cycle = graphOf([v1, moveGone, moveTo, edit, goneY, toZ, goneZ, backToX]);
    const atX = resolveWithMoves('x', cycle);
    expect(atX.winner).toBeDefined();
  });
  it('a file made at the old path after a move ends the carrying; what was made on the carried edit does not wait for it (sync-random seed 3773)', () => {
    // A moves x → y while B edits x; then A makes a new file at x (based on the move's tombstone), and C and A edit
    // y on top of B's edit as carried there. The new file at x means the move is no longer a head there, so B's edit
    // competes at x again. Before: y waited for ever for B's edit (held, but at x), each folder keeping what it had.
    const C = '0-cccc333300000000';
    const { v1, moveGone, moveTo, edit } = moveAndEdit();
    const madeAtX = file(A, 'x', 5, { basedOn: moveGone.record.versionId, mtimeMs: 3000 });
    const onY = file(C, 'y', 6, { basedOn: edit.record.versionId, mtimeMs: 4000 });
    const onYAgain = file(A, 'y', 7, { basedOn: onY.record.versionId, mtimeMs: 5000 });
    for (const order of [[v1, moveGone, moveTo, edit, madeAtX, onY, onYAgain], [onYAgain, madeAtX, onY, edit, moveTo, moveGone, v1]]) {
      const held = new Set(order.map((e) => e.record.versionId));
      const graph = { ...graphOf(order), holds: (id: string) => held.has(id) };
      const atY = resolveWithMoves('y', graph);
      expect(atY.waitingFor).toBeUndefined();
      expect(atY.winner?.record.versionId).toBe(onYAgain.record.versionId);
      const atX = resolveWithMoves('x', graph);
      expect(atX.waitingFor).toBeUndefined();
      // The later file wins at x; B's edit there is kept as a conflict copy (by B, docs/sync.md).
      expect(atX.winner?.record.versionId).toBe(madeAtX.record.versionId);
      expect(atX.conflicts.map((c) => c.record.versionId)).toEqual([edit.record.versionId]);
    }
  });

  it('an edit made on a version carried here is not waited for when a concurrent move that wins carries that version elsewhere', () => {
    // A moves x → y and B moves x → z, concurrently (B's move wins: the higher node id); C edits x. C held only A's
    // move when it saw the file at y, so C's edit of y is based on its own edit as carried to y. Once B's move is
    // held too, C's edit of x goes to z, and the edit at y names a version held at another path: y must not wait for
    // it (every node would keep what its folder had), it competes at y with what else is there.
    const C = '0-cccc333300000000';
    const v1 = file(A, 'x', 1);
    const toY = gone(A, 'x', v1.record.versionId, 'y');
    const atY = file(A, 'y', 1, { renamedFrom: 'x' });
    const toZ = gone(B, 'x', v1.record.versionId, 'z');
    const atZ = file(B, 'z', 1, { renamedFrom: 'x' });
    const edit = file(C, 'x', 2, { basedOn: v1.record.versionId, mtimeMs: 500 });
    const onY = file(C, 'y', 3, { basedOn: edit.record.versionId, mtimeMs: 4000 });
    const all = [v1, toY, atY, toZ, atZ, edit, onY];
    const held = new Set(all.map((e) => e.record.versionId));
    const graph = { ...graphOf(all), holds: (id: string) => held.has(id) };
    expect(carriedOut('x', graph).map((c) => c.entry.record.path)).toEqual(['z']);
    const y = resolveWithMoves('y', graph);
    expect(y.waitingFor).toBeUndefined();
    expect(y.winner?.record.versionId).toBe(onY.record.versionId);
    // A base held nowhere is still waited for.
    const unheld = { ...graphOf(all), holds: (id: string) => held.has(id) && id !== edit.record.versionId };
    expect(resolveWithMoves('y', unheld).waitingFor).toBe(edit.record.versionId);
  });
});
