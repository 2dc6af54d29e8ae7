// Import of a synclog archive (one with a manifest): walks the entries after the manifest and turns them into the
// records to append: the chunks the log lacks, then each version, deletes in their manifest place.
// The same walk runs twice (docs/archive.md "Import"): once to check everything without writing, once feeding
// store.appendAtomic, re-checking every hash on the way, so bytes that changed between the passes fail the commit.
// Never: yields a chunk before its hash matched, or a version before its chunks.
// Invariant: the walk accepts an archive only if its entries and the manifest agree exactly: every entry listed,
// in manifest order, of the listed type, with the listed content, and every listed entry present.
import type { ChunkRecord, LogRecord, VersionRecord } from '../record/index.js';
import { compressChunk, contentIdHex, type StoreApi } from '../store/index.js';
import { refuseEntry } from './archive-entry-path.js';
import type { ArchiveItem } from './archive-reader.js';
import { checkedChunks } from './content-check.js';
import type { AdmittedEntry } from './entry-gate.js';
import type { ManifestItem } from './manifest.js';

export interface WalkCounters {
  versions: number;
  deletes: number;
  skipped: number;
  newChunks: number;
  newBytes: number;
  storedBytes: number;
}

export function newCounters(): WalkCounters {
  return { versions: 0, deletes: 0, skipped: 0, newChunks: 0, newBytes: 0, storedBytes: 0 };
}

export interface SynclogWalk {
  archive: string;
  store: StoreApi;
  items: ManifestItem[];
  /** Version ids already in the log: their records are not appended again. */
  present: ReadonlySet<string>;
  /** 'check' hashes everything and yields nothing; 'commit' also builds the records. */
  mode: 'check' | 'commit';
  counters: WalkCounters;
}

function contentKey(record: VersionRecord): string {
  return [contentIdHex(record.contentId!), ...(record.chunks ?? []).map((c) => `${contentIdHex(c.id)}:${c.size}`)].join(',');
}

/** Finds the manifest record an entry stands for and checks everything but its content. */
function matchEntry(walk: SynclogWalk, byEntry: Map<string, number>, done: Map<string, number>, entry: AdmittedEntry, after: number): number {
  const mismatch = (what: string): never => refuseEntry(walk.archive, entry.name, 'manifest-mismatch', what);
  const index = byEntry.get(entry.path);
  if (index === undefined) return mismatch('the entry is not listed in the manifest');
  if (index <= after) mismatch('the entry is out of manifest order');
  const record = walk.items[index]!.record as VersionRecord;
  const expected = { file: ['file', 'hardlink'], dir: ['dir'], symlink: ['symlink'] }[record.type];
  if (!expected.includes(entry.type)) mismatch(`a ${entry.type} entry, the manifest lists a ${record.type}`);
  if (record.type === 'symlink' && entry.target !== record.target) mismatch(`symlink target ${JSON.stringify(entry.target)} differs from the manifest's ${JSON.stringify(record.target)}`);
  if (entry.type === 'hardlink') {
    const linked = done.get(entry.target!);
    const other = linked === undefined ? undefined : (walk.items[linked]!.record as VersionRecord);
    if (!other || other.type !== 'file' || contentKey(other) !== contentKey(record)) mismatch(`hard link to ${entry.target}, whose content differs from this version's`);
  }
  return index;
}

/** The chunk records a file entry brings that the log (and this import so far) lacks. */
async function* chunksOf(walk: SynclogWalk, entry: AdmittedEntry, record: VersionRecord, body: AsyncIterable<Uint8Array>, added: Set<string>): AsyncGenerator<ChunkRecord> {
  for await (const { ref, bytes } of checkedChunks(walk.archive, entry.name, record, body)) {
    const key = contentIdHex(ref.id);
    if (added.has(key) || walk.store.hasChunk(ref.id)) continue;
    added.add(key);
    walk.counters.newChunks += 1;
    walk.counters.newBytes += ref.size;
    if (walk.mode === 'check') continue;
    const { codec, data } = compressChunk(bytes, 'auto');
    walk.counters.storedBytes += data.length;
    yield { kind: 'chunk', id: ref.id, codec, size: ref.size, data };
  }
}

/**
 * Walks the entries after the manifest. In 'commit' mode yields the records to append, in log order; in 'check'
 * mode yields nothing but throws exactly where a commit would.
 */
export async function* walkSynclog(walk: SynclogWalk, entries: AsyncIterable<ArchiveItem>): AsyncGenerator<LogRecord> {
  const byEntry = new Map<string, number>();
  walk.items.forEach((item, index) => item.entry !== undefined && byEntry.set(item.entry, index));
  const done = new Map<string, number>();
  const added = new Set<string>();
  let next = 0;
  // Records before `upTo` that have no entry (deletes) go now; a version passed over means its entry is missing.
  const recordsBefore = function* (upTo: number): Generator<LogRecord> {
    for (; next < upTo; next++) {
      const item = walk.items[next]!;
      if (item.entry !== undefined) refuseEntry(walk.archive, item.entry, 'manifest-mismatch', 'listed in the manifest but missing from the archive');
      if (walk.present.has(item.record.versionId)) walk.counters.skipped += 1;
      else {
        walk.counters.deletes += 1;
        if (walk.mode === 'commit') yield item.record;
      }
    }
  };
  for await (const { entry, body } of entries) {
    const index = matchEntry(walk, byEntry, done, entry, next - 1);
    yield* recordsBefore(index);
    next = index + 1;
    const record = walk.items[index]!.record as VersionRecord;
    if (entry.type === 'file') yield* chunksOf(walk, entry, record, body, added);
    done.set(entry.path, index);
    if (walk.present.has(record.versionId)) walk.counters.skipped += 1;
    else {
      walk.counters.versions += 1;
      if (walk.mode === 'commit') yield record;
    }
  }
  yield* recordsBefore(walk.items.length);
}
