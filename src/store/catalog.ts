// The history catalog: every path's versions and tombstones, built from version/delete/watch records (chunk records
// are skipped by tag, never decoded). Owns only memory; the store feeds it. Invariant: records are applied exactly
// once and in seq order: out-of-order notices wait in `pending` until the gap before them is filled.
import { NotFoundError } from '../errors.js';
import { ambiguousPrefix, displayPath, refuseShortPrefix, type EntryRecord, type LogRecord, type VersionRecord, type WatchRecord } from '../record/index.js';
import { assert } from '../util/assert.js';
import { LIMITS } from '../util/limits.js';
import type { LogPath } from '../util/log-path.js';
import type { CatalogApi, CatalogPath, StoredRecord } from './types.js';

interface PathState {
  root: string;
  path: string;
  display: string;
  history: StoredRecord<EntryRecord>[];
}

/** Reads decoded non-chunk records from `fromSeq` to the current end of the log. */
export type CatalogSource = (fromSeq: number) => AsyncIterable<StoredRecord>;

export class Catalog implements CatalogApi {
  private readonly byPath = new Map<string, PathState>();
  private readonly byVersionId = new Map<string, StoredRecord<EntryRecord>>();
  private readonly watchRecords: StoredRecord<WatchRecord>[] = [];
  private readonly rootNames = new Set<string>();
  /** Version ids forget records named (they stay in history, marked, until a prune removes them). */
  private readonly forgottenIds = new Set<string>();
  /** The forget records themselves (for the checkpoint: catalog-checkpoint.ts). */
  private readonly forgetRecords: StoredRecord[] = [];
  /** Notices of appended records that arrived ahead of a gap (record undefined: a chunk, nothing to apply). */
  private readonly pending = new Map<number, LogRecord | StoredRecord | undefined>();
  private sortedPaths: CatalogPath[] | undefined;
  private sortedIds: string[] | undefined;
  private refreshing: Promise<void> | undefined;
  nextSeq = 0;
  versionCount = 0;
  /** Sum of the sizes of all file versions. */
  logicalBytes = 0;

  constructor(private readonly source: CatalogSource, private readonly logNextSeq: () => number) {}

  roots(): string[] {
    return [...this.rootNames].sort();
  }

  paths(): CatalogPath[] {
    this.sortedPaths ??= [...this.byPath.values()]
      .map((state) => {
        const latest = state.history[state.history.length - 1]!;
        return { root: state.root, path: state.path, display: state.display, count: state.history.length, latest, deleted: latest.record.kind === 'delete' };
      })
      .sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
    return this.sortedPaths;
  }

  history(root: string, path: string): StoredRecord<EntryRecord>[] {
    return [...(this.byPath.get(displayPath({ root, path: path as LogPath }))?.history ?? [])];
  }

  latest(root: string, path: string): StoredRecord<EntryRecord> | undefined {
    const history = this.byPath.get(displayPath({ root, path: path as LogPath }))?.history;
    return history?.[history.length - 1];
  }

  /** Whether a forget record named this version (a prune then removes it; until then it reads as any other). */
  isForgotten(versionId: string): boolean {
    return this.forgottenIds.has(versionId);
  }

  /** Watch start/stop markers in log order. */
  watches(): StoredRecord<WatchRecord>[] {
    return [...this.watchRecords];
  }

  /** The version with this id, or the only one whose id starts with this prefix; undefined otherwise. */
  findVersion(versionIdOrPrefix: string): StoredRecord<EntryRecord> | undefined {
    const exact = this.byVersionId.get(versionIdOrPrefix);
    if (exact) return exact;
    if (versionIdOrPrefix.length < LIMITS.versionIdPrefixCharsMin) return undefined;
    const matches = this.idsStartingWith(versionIdOrPrefix, 2);
    return matches.length === 1 ? this.byVersionId.get(matches[0]!) : undefined;
  }

  /**
   * As findVersion, with the reason when there is none, by the same rule as a path's lookup (findVersionById):
   * too short or ambiguous is a UsageError, none a NotFoundError.
   */
  resolveVersion(versionIdOrPrefix: string): StoredRecord<EntryRecord> {
    const exact = this.byVersionId.get(versionIdOrPrefix);
    if (exact) return exact;
    refuseShortPrefix(versionIdOrPrefix, 'synclog log');
    const matches = this.idsStartingWith(versionIdOrPrefix, LIMITS.versionIdCandidatesShown + 1);
    if (matches.length === 1) return this.byVersionId.get(matches[0]!)!;
    if (matches.length > 1) throw ambiguousPrefix(versionIdOrPrefix, 'in the log', matches);
    throw new NotFoundError(`no version ${JSON.stringify(versionIdOrPrefix)} in the log`, { what: 'version', id: versionIdOrPrefix });
  }

  /** Up to `max` version ids starting with `prefix`, in order (binary search over the sorted ids). */
  private idsStartingWith(prefix: string, max: number): string[] {
    this.sortedIds ??= [...this.byVersionId.keys()].sort();
    const ids = this.sortedIds;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < ids.length && out.length < max && ids[i]!.startsWith(prefix); i++) out.push(ids[i]!);
    return out;
  }


  treeAt(at: { timeMs?: number; atSeq?: number }): Map<string, StoredRecord<VersionRecord>> {
    const include = (entry: StoredRecord<EntryRecord>): boolean =>
      (at.atSeq === undefined || entry.seq <= at.atSeq) && (at.timeMs === undefined || entry.record.time <= at.timeMs);
    const tree = new Map<string, StoredRecord<VersionRecord>>();
    for (const view of this.paths()) {
      const history = this.byPath.get(view.display)!.history;
      for (let i = history.length - 1; i >= 0; i--) {
        const entry = history[i]!;
        if (!include(entry)) continue;
        if (entry.record.kind === 'version') tree.set(view.display, entry as StoredRecord<VersionRecord>);
        break;
      }
    }
    return tree;
  }

  /** Reads what was appended since the last refresh (by any process). Returns the number of records applied. */
  refresh(): Promise<number> {
    // One refresh at a time: a second caller shares the running one, then runs its own for anything newer.
    const run = async (): Promise<number> => {
      const endBefore = this.logNextSeq();
      let applied = 0;
      for await (const stored of this.source(this.nextSeq)) {
        if (stored.seq < this.nextSeq) continue;
        this.pending.delete(stored.seq);
        this.apply(stored);
        this.nextSeq = stored.seq + 1;
        applied++;
      }
      if (endBefore > this.nextSeq) this.nextSeq = endBefore;
      this.drainPending();
      return applied;
    };
    // Refreshes run one after another. The queue's tail never rejects (the caller gets the error through `next`),
    // so a failed refresh cannot surface as an unhandled rejection or block the ones after it.
    const next = (this.refreshing ?? Promise.resolve()).then(run);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.refreshing = tail;
    void tail.then(() => {
      if (this.refreshing === tail) this.refreshing = undefined;
    });
    return next;
  }

  /** Every record applied so far that describes something (versions, deletes, watch and forget records), in seq order. */
  appliedRecords(): StoredRecord[] {
    const all: StoredRecord[] = [...this.watchRecords, ...this.forgetRecords];
    for (const state of this.byPath.values()) all.push(...state.history);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Starts a catalog that has applied nothing yet from records a checkpoint kept (in seq order, all below
   * `nextSeq`), as if it had read the log up to `nextSeq`; refresh() then reads on from there.
   */
  restore(records: readonly StoredRecord[], nextSeq: number): void {
    assert(this.nextSeq === 0 && this.byPath.size === 0 && this.watchRecords.length === 0, 'restore into a catalog that applied records');
    for (const stored of records) this.apply(stored);
    this.nextSeq = nextSeq;
    this.drainPending();
  }

  /** This store appended these (chunk records as undefined): apply them now if they are next, or when the gap fills. */
  noteAppended(items: { seq: number; stored?: StoredRecord }[]): void {
    for (const item of items) if (item.seq >= this.nextSeq) this.pending.set(item.seq, item.stored);
    this.drainPending();
  }

  private drainPending(): void {
    for (const key of [...this.pending.keys()]) if (key < this.nextSeq) this.pending.delete(key);
    while (this.pending.has(this.nextSeq)) {
      const stored = this.pending.get(this.nextSeq) as StoredRecord | undefined;
      this.pending.delete(this.nextSeq);
      if (stored) this.apply(stored);
      this.nextSeq++;
    }
  }

  private apply(stored: StoredRecord): void {
    const record = stored.record;
    // Chunks and the store's params record describe no entry (the store reads params itself at open); retention's
    // pruned records neither, and a forget record only marks versions (they stay in history until a prune).
    if (record.kind === 'forget') {
      for (const id of record.versionIds) this.forgottenIds.add(id);
      this.forgetRecords.push(stored);
      return;
    }
    if (record.kind === 'chunk' || record.kind === 'params' || record.kind === 'pruned') return;
    this.rootNames.add(record.root);
    if (record.kind === 'watch') {
      this.watchRecords.push(stored as StoredRecord<WatchRecord>);
      return;
    }
    const display = displayPath(record);
    let state = this.byPath.get(display);
    if (!state) {
      state = { root: record.root, path: record.path, display, history: [] };
      this.byPath.set(display, state);
    }
    const entry = stored as StoredRecord<EntryRecord>;
    state.history.push(entry);
    this.byVersionId.set(record.versionId, entry);
    if (record.kind === 'version') {
      this.versionCount++;
      if (record.type === 'file') this.logicalBytes += record.size;
    }
    this.sortedPaths = undefined;
    this.sortedIds = undefined;
  }
}
