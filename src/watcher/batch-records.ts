// Turning one batch of reconcile outcomes into records: versions for what appeared or changed, tombstones for what
// vanished, and a tombstone + 'renamed' version pair for each move. Pure (time, ids and owner names come in).
// Invariant: a move's two records are adjacent and share one root, so one append makes both durable together.
import { contentIdHex, newVersionId, type DeleteRecord, type EntryRecord, type VersionEvent, type VersionRecord } from '../record/index.js';
import type { LogPath } from '../util/log-path.js';
import type { ChangeKind, WatcherChange } from './events.js';
import type { PresentEntry } from './reconcile.js';
import type { RenameCandidate } from './rename-pairer.js';

/** An entry found on disk in this batch. */
export interface Appeared extends RenameCandidate {
  entry: PresentEntry;
  /** True when the log has no live record for the path (a create, or the new end of a move). */
  isNew: boolean;
}

/** An entry the log has live but the disk no longer has. */
export type Vanished = RenameCandidate;

export interface PlannedRecord {
  record: EntryRecord;
  change: ChangeKind;
  /** The stat-cache key this record sets (files) or clears (deletes). */
  key: string;
  entry?: PresentEntry;
  /** The tombstone half of a move: reported through its 'renamed' partner, not as a delete. */
  moveSource?: boolean;
}

export interface RecordFactory {
  nowMs: number;
  ownerOf(uid: number): string | undefined;
  /** 'restored' when the content is what a restoreVersion call just wrote there. */
  eventFor(key: string, entry: PresentEntry, isNew: boolean): VersionEvent;
}

export function versionRecordFor(
  root: string,
  path: string,
  entry: PresentEntry,
  event: VersionEvent,
  factory: Pick<RecordFactory, 'nowMs' | 'ownerOf'>,
  renamedFrom?: string,
): VersionRecord {
  const record: VersionRecord = {
    kind: 'version',
    versionId: newVersionId(factory.nowMs),
    time: factory.nowMs,
    root,
    path: path as LogPath,
    type: entry.type,
    event,
    size: entry.size,
    mtimeMs: entry.mtimeMs,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
  };
  const owner = factory.ownerOf(entry.uid);
  if (owner !== undefined) record.owner = owner;
  if (renamedFrom !== undefined) record.renamedFrom = renamedFrom as LogPath;
  if (entry.type === 'file') {
    record.contentId = entry.contentId;
    record.chunks = entry.chunks ?? [];
  }
  if (entry.type === 'symlink') record.target = entry.target;
  return record;
}

export function deleteRecordFor(gone: Vanished, nowMs: number, renamedTo?: string): DeleteRecord {
  const record: DeleteRecord = {
    kind: 'delete',
    versionId: newVersionId(nowMs),
    time: nowMs,
    root: gone.root,
    path: gone.path as LogPath,
    type: gone.type,
  };
  if (renamedTo !== undefined) record.renamedTo = renamedTo as LogPath;
  return record;
}

/** Plans the records of one batch in a stable order: moves, then changes, then deletes. */
export function planRecords(
  pairs: readonly { gone: Vanished; added: Appeared }[],
  appeared: readonly Appeared[],
  deletes: readonly Vanished[],
  factory: RecordFactory,
): PlannedRecord[] {
  // Versions go in path order so a folder's version precedes what is inside it (a reader of the log meets the
  // folder first); a rename's tombstone stays right before its new version. Plain deletes come last.
  const groups: { root: string; path: string; records: PlannedRecord[] }[] = [];
  for (const { gone, added } of pairs) {
    const record = versionRecordFor(added.root, added.path, added.entry, 'renamed', factory, gone.path);
    groups.push({
      root: added.root,
      path: added.path,
      records: [
        { record: deleteRecordFor(gone, factory.nowMs, added.path), change: 'deleted', key: gone.key, moveSource: true },
        { record, change: 'renamed', key: added.key, entry: added.entry },
      ],
    });
  }
  for (const a of appeared) {
    const event = factory.eventFor(a.key, a.entry, a.isNew);
    const change: ChangeKind = event === 'restored' ? 'restored' : a.isNew ? 'created' : 'modified';
    groups.push({ root: a.root, path: a.path, records: [{ record: versionRecordFor(a.root, a.path, a.entry, event, factory), change, key: a.key, entry: a.entry }] });
  }
  const byPath = (x: { root: string; path: string }, y: { root: string; path: string }) =>
    x.root === y.root ? (x.path < y.path ? -1 : x.path > y.path ? 1 : 0) : x.root < y.root ? -1 : 1;
  const planned = groups.sort(byPath).flatMap((g) => g.records);
  for (const g of deletes) planned.push({ record: deleteRecordFor(g, factory.nowMs), change: 'deleted', key: g.key });
  return planned;
}

export function hexOf(id: Uint8Array | undefined): string | undefined {
  return id === undefined ? undefined : contentIdHex(id);
}

/** The change listeners hear about for a durable planned record at `seq`. */
export function changeOf(p: PlannedRecord, seq: number): WatcherChange {
  const r = p.record;
  return {
    change: p.change,
    versionId: r.versionId,
    root: r.root,
    path: r.path,
    display: `${r.root}/${r.path}`,
    type: r.type,
    size: r.kind === 'version' ? r.size : 0,
    contentId: r.kind === 'version' ? hexOf(r.contentId) : undefined,
    renamedFrom: r.kind === 'version' ? r.renamedFrom : undefined,
    seq,
    time: r.time,
  };
}
