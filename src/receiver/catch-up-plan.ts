// The catch-up planner: given the version and delete records from a cursor to the log's head (in log order), says
// which of them are superseded: applying the rest, in log order, over any tree ends in the same tree as applying
// all of them. Used by the `latest` receiver's catch-up (a file overwritten ten times is written once, a file created
// and deleted never) and by checkout (the tree at a moment). Reads only the record headers it is given: never
// content. Never used for all-versions mode, which keeps every version.
//
// The rule: a record at path P is superseded when a later record *clears* P, at P itself or at a folder above it.
// A delete clears its path and everything under it (the receiver removes a folder recursively); a file or symlink
// version replaces whatever is at its path, a folder included. A folder version clears nothing (mkdir keeps the
// children), so it supersedes nothing, and a delete is never superseded by a later folder version at its path: the
// delete must still remove what is under the folder. Renames are a delete of the old path and a version of the new
// one in the log, so they follow the same rule.
// Why the rest ends in the same tree (docs/receiver.md "Catch-up"): for each path, the last record that sets it (at
// it or clearing above it) is never superseded, and a record still applied finds each folder above it as the full
// replay would: the last record at that folder before it is superseded only by a clearing that also supersedes it.
import { displayPath, type EntryRecord, type VersionRecord } from '../record/index.js';
import type { StoredRecord } from '../store/types.js';
import { RECEIVER_LIMITS } from '../util/limits.js';

/** What the planner needs of a record: no content, no metadata. */
export interface PlanRecord {
  seq: number;
  root: string;
  path: string;
  kind: 'version' | 'delete';
  type: 'file' | 'dir' | 'symlink';
}

export interface CatchUpPlan {
  /** Seq after the last record planned: records from here on are not covered (a live follower applies them all). */
  endSeq: number;
  /** Records the plan saw. */
  count: number;
  isSuperseded(seq: number): boolean;
}

/** The scheduler's key for a record (`root/path`), so "under" means the same here as for overlapping writes. */
export function planKey(record: Pick<PlanRecord, 'root' | 'path'>): string {
  return record.path === '' ? record.root : `${record.root}/${record.path}`;
}

function clears(record: PlanRecord): boolean {
  return record.kind === 'delete' || record.type !== 'dir';
}

/** True when `key` or a folder above it is in `cleared`. */
function clearedAtOrAbove(cleared: ReadonlySet<string>, key: string): boolean {
  if (cleared.has(key)) return true;
  for (let slash = key.lastIndexOf('/'); slash > 0; slash = key.lastIndexOf('/', slash - 1)) {
    if (cleared.has(key.slice(0, slash))) return true;
  }
  return false;
}

/**
 * Plans records given in increasing seq order (from the cursor to the head). Walks them newest first, keeping the
 * paths cleared later on: O(records × path depth), memory one small entry per record.
 */
export function planCatchUp(records: readonly PlanRecord[], endSeq?: number): CatchUpPlan {
  const superseded = new Set<number>();
  const cleared = new Set<string>();
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    const key = planKey(record);
    if (clearedAtOrAbove(cleared, key)) superseded.add(record.seq);
    else if (clears(record)) cleared.add(key);
    // (A superseded clearing record adds nothing: the later one above or at it already clears its subtree.)
  }
  const last = records[records.length - 1];
  return {
    endSeq: endSeq ?? (last ? last.seq + 1 : 0),
    count: records.length,
    isSuperseded: (seq) => superseded.has(seq),
  };
}

/** What a plan's reading yielded: the planner's input, and the records themselves while they fit the keep limit. */
export interface CollectedPlan {
  records: PlanRecord[];
  /**
   * The records read, in order, from the first one on (a prefix of what was planned: the keeping stops at the first
   * record that would pass `keepBytesMax`), so the apply pass takes them from memory instead of reading them again.
   */
  kept: StoredRecord<EntryRecord>[];
}

/** About what a decoded record costs in memory (its chunk list dominates a large file's version). */
function keptBytes(record: EntryRecord): number {
  return 256 + 2 * record.path.length + 96 * (record.kind === 'version' ? (record.chunks?.length ?? 0) : 0);
}

/**
 * Reads the planner's input from a record stream (version and delete records), at most
 * `RECEIVER_LIMITS.catchUpPlanRecordsMax`: a plan of a prefix of the backlog is as sound as one of all of it (as if
 * the head were there); the records after it are applied one by one. Keeps the records themselves up to
 * `keepBytesMax` (estimated memory): the apply pass that follows replays them and reads the source again only after
 * them, so a catch-up reads its backlog once (a local log's every frame, checksummed; a remote log's records, over
 * the wire).
 */
export async function collectPlanRecords(records: AsyncIterable<StoredRecord>, keepBytesMax = 0): Promise<CollectedPlan> {
  const out: PlanRecord[] = [];
  const kept: StoredRecord<EntryRecord>[] = [];
  let keptTotal = 0;
  try {
    for await (const stored of records) {
      const { seq, record } = stored;
      if (record.kind !== 'version' && record.kind !== 'delete') continue;
      out.push({ seq, root: record.root, path: record.path, kind: record.kind, type: record.type });
      if (keptTotal <= keepBytesMax) {
        keptTotal += keptBytes(record);
        // Full: the keeping ends here for good, so the kept records stay a prefix without a gap.
        if (keptTotal <= keepBytesMax) kept.push(stored as StoredRecord<EntryRecord>);
      }
      if (out.length >= RECEIVER_LIMITS.catchUpPlanRecordsMax) break;
    }
  } catch {
    // Damage (or any read error) ends the plan where it is: the records before it are planned and applied, and the
    // apply pass meets the same error at the same record and reports it, with the cursor saved just before it.
  }
  return { records: out, kept };
}

/**
 * The tree that applying `records` (increasing seq) to an empty folder leaves, by display path: the surviving
 * versions, the last one per path (only folder versions can repeat). Surviving deletes are dropped: from an empty
 * folder there is nothing under them left to remove, since every earlier record there is superseded. Checkout's tree.
 */
export function plannedTree<R extends StoredRecord<EntryRecord>>(records: readonly R[]): Map<string, StoredRecord<VersionRecord>> {
  const plan = planCatchUp(records.map(({ seq, record }) => ({ seq, root: record.root, path: record.path, kind: record.kind, type: record.type })));
  const tree = new Map<string, StoredRecord<VersionRecord>>();
  for (const stored of records) {
    if (stored.record.kind !== 'version' || plan.isSuperseded(stored.seq)) continue;
    tree.set(displayPath(stored.record), stored as StoredRecord<VersionRecord>);
  }
  return tree;
}
