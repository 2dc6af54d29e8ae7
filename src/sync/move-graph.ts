// Moves across paths (docs/sync.md "Renames and folder moves"). A rename is recorded as a tombstone at the old path
// (`renamedTo`) and a version at the new one (`renamedFrom`), appended together by the writer. When the tombstone
// is a head of the old path, every version head there that descends from what the move took (an edit concurrent
// with the move) is **carried** to the new path: it leaves the old path's competition and joins the new path's as
// if it had been made there on top of the move. Pure, and a function of the records held only, so every node that
// holds the same records carries the same edits to the same paths.
import type { DeleteRecord, VersionRecord } from '../record/index.js';
import type { LogPath } from '../util/log-path.js';
import { SYNC_LIMITS } from '../util/limits.js';
import { beats, descendsFrom, headsOf, resolvePath, type PathResolution, type SyncEntry } from './version-graph.js';

/** The records of every path as a node holds them, and the paths renamed into a path (from their tombstones). */
export interface MoveGraphSource {
  entriesAt(path: string): readonly SyncEntry[];
  renamedInto(path: string): Iterable<string>;
  /** Whether the node holds this version at any path (headsOf: a base held elsewhere is not waited for). */
  holds?(versionId: string): boolean;
}

/** The graph's `holds` as headsOf takes it (a graph without one holds nothing beyond the records it is asked about). */
function holdsOf(graph: MoveGraphSource): (versionId: string) => boolean {
  return (versionId) => graph.holds?.(versionId) ?? false;
}

/** A head of `from` carried to `entry.record.path` (same version id, basedOn the move's version there). */
export interface CarriedEntry {
  from: SyncEntry;
  entry: SyncEntry;
}

/** Where a record sits in the log of the node that wrote it: the tombstone and version of one move are adjacent. */
function writerSeq(entry: SyncEntry): number {
  return entry.record.origin?.seq ?? entry.seq;
}

/** Every entry that competes at `path`: its own records and the edits carried to it from paths moved there. */
export function entriesWithMoves(path: string, graph: MoveGraphSource, chain: readonly string[] = []): SyncEntry[] {
  const own = graph.entriesAt(path);
  if (chain.length >= SYNC_LIMITS.moveChainMax) return [...own];
  const inbound: SyncEntry[] = [];
  for (const from of graph.renamedInto(path)) {
    if (from === path || chain.includes(from)) continue; // a cycle of renames (x→y→x) carries nothing round
    for (const c of carriedOut(from, graph, [...chain, path])) if (c.entry.record.path === path) inbound.push(c.entry);
  }
  return inbound.length === 0 ? [...own] : [...own, ...inbound];
}

/** The heads of `path` carried away by a move of `path` that is itself a head there. */
export function carriedOut(path: string, graph: MoveGraphSource, chain: readonly string[] = []): CarriedEntry[] {
  const entries = entriesWithMoves(path, graph, chain);
  const { heads, byId, waitingFor } = headsOf(entries, holdsOf(graph));
  if (waitingFor !== undefined) return []; // nothing is decided for a path that waits, moves included
  let move: (SyncEntry & { record: DeleteRecord }) | undefined;
  for (const head of heads) {
    if (head.record.kind !== 'delete' || head.record.renamedTo === undefined || head.record.basedOn === undefined) continue;
    if (!move || beats(head, move)) move = head as SyncEntry & { record: DeleteRecord };
  }
  if (!move) return [];
  const to = move.record.renamedTo!;
  const moved = move;
  // The move's own version at the new path: same writer, renamed from here, the nearest in the writer's log.
  const partner = graph
    .entriesAt(to)
    .filter((e) => e.record.kind === 'version' && e.record.renamedFrom === path && e.node === moved.node)
    .sort((a, b) => Math.abs(writerSeq(a) - writerSeq(moved)) - Math.abs(writerSeq(b) - writerSeq(moved)))[0];
  if (!partner) return [];
  const carried: CarriedEntry[] = [];
  for (const head of heads) {
    if (head.record.kind !== 'version' || !descendsFrom(head, moved.record.basedOn!, byId)) continue;
    const record: VersionRecord = { ...head.record, path: to as LogPath, basedOn: partner.record.versionId };
    carried.push({ from: head, entry: { record, node: head.node, seq: head.seq } });
  }
  return carried;
}

/** The resolution of `path` with moves: edits carried here compete here; edits carried away do not. */
export function resolveWithMoves(path: string, graph: MoveGraphSource): PathResolution & { entries: SyncEntry[] } {
  const entries = entriesWithMoves(path, graph);
  const away = new Set(carriedOut(path, graph).map((c) => c.from.record.versionId));
  return { ...resolvePath(entries, away, holdsOf(graph)), entries };
}
