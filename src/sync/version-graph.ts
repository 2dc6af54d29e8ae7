// The causal order of one path's records across sync nodes (docs/sync.md "How concurrency is decided"). Pure: every
// node that holds the same records computes the same heads, winner and conflicts, whatever order it got them in.
// Never consults a clock: "newer" is only "descends from" (basedOn); mtime only breaks ties between concurrent heads.
import type { EntryRecord } from '../record/index.js';

/** One record of a path as a node holds it: the node that wrote it (its log id) and where it sits in this log. */
export interface SyncEntry {
  record: EntryRecord;
  /** Log id of the node that recorded it (origin.log, or this node's own id for its own records). */
  node: string;
  seq: number;
}

export interface PathResolution {
  /** The record the path should hold (undefined: no record). */
  winner: SyncEntry | undefined;
  /** Concurrent entry heads that lost and hold something else: their content is kept as conflict copies. */
  conflicts: SyncEntry[];
  /** Set when a basedOn names a version not held yet: the path waits for it (no decision is taken). */
  waitingFor: string | undefined;
}

/** a beats b among concurrent heads: an entry beats a delete, then later mtime, then higher node id, then version id. */
export function beats(a: SyncEntry, b: SyncEntry): boolean {
  const aLive = a.record.kind === 'version';
  const bLive = b.record.kind === 'version';
  if (aLive !== bLive) return aLive;
  const aMtime = a.record.kind === 'version' ? a.record.mtimeMs : 0;
  const bMtime = b.record.kind === 'version' ? b.record.mtimeMs : 0;
  if (aMtime !== bMtime) return aMtime > bMtime;
  if (a.node !== b.node) return a.node > b.node;
  return a.record.versionId > b.record.versionId;
}

/** True when two records leave the same thing at the path (then concurrency is no conflict). */
export function sameState(a: EntryRecord, b: EntryRecord): boolean {
  if (a.kind === 'delete' || b.kind === 'delete') return a.kind === b.kind;
  if (a.type !== b.type) return false;
  if (a.type === 'symlink') return a.target === b.target;
  if (a.type === 'dir') return true;
  return a.contentId !== undefined && b.contentId !== undefined && Buffer.from(a.contentId).equals(Buffer.from(b.contentId));
}

/**
 * The heads of one path's records (a version id held twice counts once), and a base version not held yet. `holds`
 * says whether the node holds a version at all (any path): a basedOn naming one held at another path (an edit made
 * on a version a move carried here, when the carrying has since gone to a concurrent move that wins) is not waited
 * for; the chain ends there. Without `holds`, any base outside these records is waited for.
 */
export function headsOf(entries: readonly SyncEntry[], holds?: (versionId: string) => boolean): { heads: SyncEntry[]; byId: Map<string, SyncEntry>; waitingFor: string | undefined } {
  const byId = new Map<string, SyncEntry>();
  for (const entry of entries) if (!byId.has(entry.record.versionId)) byId.set(entry.record.versionId, entry);
  const ancestors = new Set<string>();
  let waitingFor: string | undefined;
  for (const entry of byId.values()) {
    // Walk up the chain; a cycle (only a hostile log can make one) ends at the first id seen twice.
    const seen = new Set<string>([entry.record.versionId]);
    let parent = entry.record.basedOn;
    while (parent !== undefined && !seen.has(parent)) {
      seen.add(parent);
      const held = byId.get(parent);
      if (!held) {
        if (!holds?.(parent)) waitingFor ??= parent;
        break;
      }
      if (ancestors.has(parent)) break; // its own ancestors are marked already
      ancestors.add(parent);
      parent = held.record.basedOn;
    }
  }
  const all = [...byId.values()];
  const tips = all.filter((entry) => !ancestors.has(entry.record.versionId));
  // Only a basedOn cycle (a hostile log) leaves no head: then every record competes, still the same way everywhere.
  return { heads: tips.length > 0 ? tips : all, byId, waitingFor };
}

/** True when following `entry`'s basedOn chain through `byId` reaches `ancestorId` (or it is that record). */
export function descendsFrom(entry: SyncEntry, ancestorId: string, byId: ReadonlyMap<string, SyncEntry>): boolean {
  const seen = new Set<string>();
  for (let at: SyncEntry | undefined = entry; at !== undefined && !seen.has(at.record.versionId); at = at.record.basedOn === undefined ? undefined : byId.get(at.record.basedOn)) {
    if (at.record.versionId === ancestorId) return true;
    seen.add(at.record.versionId);
  }
  return false;
}

/**
 * Heads, winner and conflicts of one path's records (any order; a version id held twice counts once). Heads whose
 * version id is in `carriedAway` (an edit concurrent with a move of the path: docs/sync.md "Renames and folder
 * moves") compete at the move's new path instead, not here.
 */
export function resolvePath(entries: readonly SyncEntry[], carriedAway: ReadonlySet<string> = new Set(), holds?: (versionId: string) => boolean): PathResolution {
  const { heads: all, waitingFor } = headsOf(entries, holds);
  const heads = all.filter((head) => !carriedAway.has(head.record.versionId));
  let winner: SyncEntry | undefined;
  for (const head of heads) if (!winner || beats(head, winner)) winner = head;
  const conflicts = heads.filter((head) => head !== winner && head.record.kind === 'version' && !sameState(head.record, winner!.record));
  return { winner, conflicts, waitingFor };
}
