// Where each path's entries (versions and deletes) are in the log, by seq only: what a server's read deltas need to
// find a version record's base (the newest entry of the same root and path below it), whose record is then read
// from the log when a delta is made. Owns the index and reading it forward as the log grows; never holds a record.
// Why not the store's catalog: it keeps every decoded record (its chunk list included) for the server's lifetime,
// ~2 KB of memory per version (20 MB for the bench corpus's 10,399 versions, and a server's log only grows), where
// this keeps one number per entry.
import type { RecordKind } from '../record/index.js';
import type { StoreApi } from '../store/index.js';

const ENTRY_KINDS: readonly RecordKind[] = ['version', 'delete'];

/** An entry's seq as the index keeps it: a version with chunks as itself, any other entry as -(seq + 1). */
type KeptSeq = number;

function keyOf(root: string, path: string): string {
  return `${root}\0${path}`;
}

function seqOf(kept: KeptSeq): number {
  return kept < 0 ? -kept - 1 : kept;
}

export class EntrySeqs {
  /** Per root and path, its entries' seqs in log order. */
  private readonly byPath = new Map<string, KeptSeq[]>();
  /** Every entry below this seq is indexed. */
  private nextSeq = 0;
  private reading: Promise<void> | undefined;

  constructor(private readonly store: StoreApi) {}

  /**
   * The seq of the newest entry of `root`/`path` below `seq` when it is a version with chunks; undefined when it is
   * a delete, a version without chunks, or there is none, or when the log could not be read as far as `seq`.
   * Reads the log on from where the index stopped first, if it stopped below `seq`.
   */
  async versionBelow(seq: number, root: string, path: string): Promise<number | undefined> {
    while (this.nextSeq < seq) {
      const before = this.nextSeq;
      // One reading at a time; a caller that needs more than it read runs another.
      this.reading ??= this.readOn().finally(() => (this.reading = undefined));
      await this.reading;
      if (this.nextSeq === before) return undefined; // nothing more readable yet (or damage): send it whole
    }
    const seqs = this.byPath.get(keyOf(root, path));
    if (!seqs) return undefined;
    // The last entry below seq (binary search: entries are in seq order).
    let low = 0;
    let high = seqs.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (seqOf(seqs[mid]!) < seq) low = mid + 1;
      else high = mid;
    }
    const kept = seqs[low - 1];
    return kept !== undefined && kept >= 0 ? kept : undefined;
  }

  /** Indexes the entries from nextSeq to the log's end as it is now. */
  private async readOn(): Promise<void> {
    for await (const stored of this.store.entries({ fromSeq: this.nextSeq, kinds: ENTRY_KINDS })) {
      if (stored.seq < this.nextSeq) continue;
      const record = stored.record;
      if (record.kind !== 'version' && record.kind !== 'delete') continue;
      const key = keyOf(record.root, record.path);
      let seqs = this.byPath.get(key);
      if (!seqs) this.byPath.set(key, (seqs = []));
      seqs.push(record.kind === 'version' && record.chunks ? stored.seq : -stored.seq - 1);
      this.nextSeq = stored.seq + 1;
    }
  }
}
