// The public contract of the store (src/store): content-addressed chunks over the log, the history catalog, the
// stat cache. Watcher, receiver, archive and explorer use only what this file (re-exported by index.ts) names.
import type { RecordPosition, RecoveryReport, SkippedRegion } from '../log/types.js';
import type { ChunkRef, ContentIdBytes, DeleteRecord, EntryRecord, LogRecord, RecordKind, VersionRecord, WatchRecord } from '../record/types.js';
import type { ChunkLocation } from './chunk-index.js';
import type { StoreLog } from './log-port.js';

export interface StoreOptions {
  /** Open without the writer lock: reading, following, verifying. */
  readOnly?: boolean;
  /** Create the log if it is missing (writers only). Default true. */
  create?: boolean;
  segmentBytesMax?: number;
  /**
   * Worker threads for chunking/hashing/compression. Default: one per core no other work keeps busy when the store
   * opens (cores minus the 1-minute load average, rounded; 0 on a saturated machine: everything on the calling
   * thread), see defaultWorkerCount in store.ts.
   */
  workers?: number;
  /** 'auto' compresses a chunk only when that saves at least 1/8 of it; 'none' never compresses. */
  compression?: 'auto' | 'none';
  /**
   * Read-only stores: build the chunk index when a read first needs it instead of at open. For a reader that finds
   * its chunks in `entries({ trackChunks })` (the receiver), which then never pays the index scan. Such a store
   * also leaves its stat cache empty (only writers use it). Default false.
   */
  indexOnDemand?: boolean;
  /**
   * Read-only stores: reads go on past mid-log damage (the log's `skipDamaged`) and `skipped()` lists what was
   * passed over. A chunk that lay in a skipped region is then a CorruptionError (reason 'chunk-in-skipped-region')
   * for the content that needs it, never wrong bytes; the other content reads on. A writer refuses (UsageError).
   */
  skipDamaged?: boolean;
  /**
   * Writers: an open writer log to use instead of opening one (its open options are the caller's; the store closes
   * it at close). The caller keeps its own handle to run what the store does not (retention: forget, prune), and
   * then calls the store's logChanged().
   */
  log?: StoreLog;
}

/** A decoded record and where it lives. */
export interface StoredRecord<R extends LogRecord = LogRecord> extends RecordPosition {
  record: R;
}

/** The content of one file as the store holds it. */
export interface IngestedContent {
  contentId: ContentIdBytes;
  chunks: ChunkRef[];
  /** Bytes of content. */
  size: number;
  /** Chunks this call appended (the rest were already in the log). */
  newChunks: number;
  /** Uncompressed bytes of the chunks this call appended. */
  newBytes: number;
  /** Bytes those new chunks take in the log (after compression). */
  storedBytes: number;
}

export interface EntryReadOptions {
  fromSeq?: number;
  /** Record kinds to yield; default: version, delete, watch (chunks are skipped without decoding). */
  kinds?: readonly RecordKind[];
  follow?: boolean;
  signal?: AbortSignal;
  /**
   * Also remember where the chunk records passed on the way are (the latest `LIMITS.storeRecentChunksMax`), so
   * reading or locating the chunks of the versions that follow them needs no chunk index. For one reader applying
   * versions in log order (the receiver). Default false.
   */
  trackChunks?: boolean;
}

/** One path's summary in the catalog. */
export interface CatalogPath {
  root: string;
  path: string;
  /** `${root}/${path}` */
  display: string;
  /** Number of versions and tombstones. */
  count: number;
  latest: StoredRecord<EntryRecord>;
  /** True when the newest entry is a delete. */
  deleted: boolean;
}

export interface StoreStats {
  segments: number;
  records: number;
  versions: number;
  paths: number;
  chunks: number;
  /** Sum of all file version sizes. */
  logicalBytes: number;
  /** Sum of unique chunk sizes (after dedup, before compression). */
  uniqueBytes: number;
  /** Bytes of the log's segment files on disk. */
  storedBytes: number;
}

export interface StoreVerifyProblem {
  segment: string;
  offset: number;
  seq?: number;
  reason: string;
  /** Hex id of the chunk the damaged or missing record is (or references), when known. */
  chunk?: string;
  /** 'log': the frame walk found it (checksum, framing); 'content': the record walk (decode, chunk hash, references). */
  source?: 'log' | 'content';
}

export interface StoreVerifyReport {
  ok: boolean;
  segments: number;
  records: number;
  bytes: number;
  chunks: number;
  versions: number;
  errors: StoreVerifyProblem[];
  /** Versions whose chunks are missing (an error). */
  missingChunks: { versionId: string; path: string; chunk: string }[];
  /** Chunks no version references (not an error: a crash between chunk and version, or an aborted ingest). */
  unreferencedChunks: number;
  /** Records that decoded as store records (0: the log carries no store records, only frames were checked). */
  storeRecords: number;
  tornTail?: RecoveryReport;
  /** Segments a committed prune has yet to put in place (the next writer's open does it): a note, not damage. */
  prunePending?: string[];
  /** When there are errors: what reading past the damage reaches, and the file versions it costs (store-damage.ts). */
  damage?: StoreDamageReport;
}

/**
 * A file version a --skip-damaged read could not produce (checkout, export): its content lies in a damaged or
 * skipped part of the log. `path` is the display path `root/path`.
 */
export interface UnreadableVersion {
  path: string;
  versionId: string;
  reason: string;
}

/** What mid-log damage costs: the regions a skipDamaged read passes over and the versions left without content. */
export interface StoreDamageReport {
  skipped: SkippedRegion[];
  /** File versions with chunks not found intact anywhere in the log (their content cannot be read back). */
  affectedVersions: { versionId: string; path: string; missingChunks: number }[];
}

export type { ChunkRef, ContentIdBytes, DeleteRecord, EntryRecord, SkippedRegion, VersionRecord };

/** Stat facts that decide whether a file may have changed (any difference means: hash it again). */
export interface StatKey {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /**
   * Optional: when this stat was taken, before the content was read (ms since the epoch). ingestFile fills it in;
   * the stat cache uses it to refuse "racily clean" entries (a same-tick write after the read). Default: now.
   */
  observedAtMs?: number;
}

/** The persistent stat cache: (root, path, stat) → content, so an unchanged tree is rescanned without reading it. */
export interface StatCacheApi {
  /** The cached content when every stat fact matches exactly; undefined on any doubt. */
  get(root: string, path: string, stat: StatKey): { contentId: ContentIdBytes; chunks: ChunkRef[]; size: number } | undefined;
  /** The cached content id alone, by get's rule (a scan compares only that: no chunk list is unpacked for it). */
  contentIdOf(root: string, path: string, stat: StatKey): ContentIdBytes | undefined;
  set(root: string, path: string, stat: StatKey, content: { contentId: ContentIdBytes; chunks: ChunkRef[]; size: number }): void;
  delete(root: string, path: string): void;
  /** Writes the cache atomically beside the log (it is derived data: losing it only costs re-hashing). */
  save(): Promise<void>;
}

/** The history of every path, built from version/delete records (chunks are never decoded for it). */
export interface CatalogApi {
  /** Seq after the last record the catalog has applied. */
  readonly nextSeq: number;
  roots(): string[];
  /** Every path ever seen, sorted by display path. */
  paths(): CatalogPath[];
  /** Versions and tombstones of one path, oldest first ([] when unknown). */
  history(root: string, path: string): StoredRecord<EntryRecord>[];
  /** Looks up by full version id or by a unique prefix of at least 6 characters. */
  findVersion(versionIdOrPrefix: string): StoredRecord<EntryRecord> | undefined;
  /** As findVersion, but throws why there is none: UsageError (too short, ambiguous) or NotFoundError. */
  resolveVersion(versionIdOrPrefix: string): StoredRecord<EntryRecord>;
  /** Whether a forget record named this version (it stays readable until a prune removes it). */
  isForgotten(versionId: string): boolean;
  /** The newest entry for a path (a delete when it is gone), or undefined. */
  latest(root: string, path: string): StoredRecord<EntryRecord> | undefined;
  /** Watch start/stop markers in log order (a copy). */
  watches(): StoredRecord<WatchRecord>[];
  /** The live tree after every record with time <= timeMs (or with seq <= atSeq): display path → version. */
  treeAt(at: { timeMs?: number; atSeq?: number }): Map<string, StoredRecord<VersionRecord>>;
  /** Reads records appended since the last refresh (a watcher may be appending in another process). */
  refresh(): Promise<number>;
}

/**
 * The store: one log, its chunk index, catalog and stat cache. One writer process (the log's lock); any number of
 * read-only stores in other processes.
 */
/** One chunk of StoreApi.readChunkRecords: its record as readChunkRecord gives it, or the error readChunkRecord throws. */
export type ChunkRecordResult = { tag: number; payload: Uint8Array } | { error: unknown };

export interface StoreApi {
  readonly logDir: string;
  readonly readOnly: boolean;
  /** What opening did with a torn tail, if anything. */
  readonly recovery: RecoveryReport | undefined;
  readonly statCache: StatCacheApi;
  /** Damaged regions reads went past so far (opened with `skipDamaged`; always empty otherwise). */
  skipped(): SkippedRegion[];

  /**
   * Chunks, hashes and compresses a file (streaming, off the main thread), appends the chunk records the log lacks,
   * and returns its content. Appends no version: the caller appends the VersionRecord afterwards (it is the commit
   * point). Throws if the file changed while it was read (size/mtime/ctime differ before and after).
   * Durability: resolves once the chunk records are appended to the log's queue in log order, not once they are
   * durable. A record appended afterwards (the version, through appendRecords/appendAtomic) is durable only when
   * they are: one log, one writer committing in queue order, every segment fsynced before the next is started.
   * So a version is never durable before its chunks, and a watcher batch costs one fsync. appendRecords and
   * appendAtomic also reject if a chunk append queued before them failed; flush() covers pending chunk appends.
   * A failed chunk append rejects the ingest when it fails before it is queued; after that, it fails the log's
   * writer, so the version appended after it rejects too. Either way at most unreferenced chunks remain.
   * `sizeHint`: the size the caller just saw (an lstat). A small file (≤ ingestInlineBytesMax) is then read with
   * synchronous calls on the calling thread: cheaper than five thread-pool round trips for a file in the page cache.
   */
  ingestFile(absolutePath: string, options?: { signal?: AbortSignal; sizeHint?: number }): Promise<IngestedContent & { stat: StatKey }>;
  /** Same for a stream of bytes (archive import, restore tests); same durability as ingestFile. */
  ingestStream(source: AsyncIterable<Uint8Array>): Promise<IngestedContent>;
  /** Appends records (versions, deletes, watch markers) in order; resolves once they are durable. */
  appendRecords(records: LogRecord[]): Promise<StoredRecord[]>;
  /**
   * Appends all records or none: readers see none of them until all are durable; on error (or a crash) nothing
   * stays. Chunk records may be included; the catalog and chunk index learn of them only after commit.
   */
  appendAtomic(records: AsyncIterable<LogRecord> | Iterable<LogRecord>): Promise<StoredRecord[]>;
  /** Resolves once everything appended so far is durable. */
  flush(): Promise<void>;

  hasChunk(id: ContentIdBytes): boolean;
  /** A chunk's uncompressed bytes, checked against its id (CorruptionError naming chunk, segment, offset). */
  readChunk(id: ContentIdBytes): Promise<Uint8Array>;
  /**
   * A chunk's record as the log stores it (compressed as stored; frame checksum verified, content not checked): for
   * a copy that is checked where it is used (src/net sends it, the client inflates and hashes it).
   */
  readChunkRecord(id: ContentIdBytes): Promise<{ tag: number; payload: Uint8Array }>;
  /**
   * readChunkRecord for many ids, in order, each its record or the error readChunkRecord would throw (NotFoundError,
   * CorruptionError, …); chunks next to each other in the log are read together (one pread for a run of them).
   */
  readChunkRecords(ids: readonly ContentIdBytes[]): Promise<ChunkRecordResult[]>;
  /** Streams a file version's content in order, checking every chunk's hash as it goes. */
  readContent(chunks: readonly ChunkRef[]): AsyncIterable<Uint8Array>;
  /**
   * Where each chunk's record is (segment, offset, stored size), in order, for a reader that reads them itself
   * (readChunkAtSync in a worker thread). Same errors as readContent for a chunk that is missing or beyond damage.
   */
  locateChunks(chunks: readonly ChunkRef[]): Promise<ChunkLocation[]>;
  /** Decoded records in log order (follow: keep waiting for new ones, across processes). */
  entries(options?: EntryReadOptions): AsyncIterable<StoredRecord>;
  /** The history catalog, loaded on first use and kept current by this store's appends. */
  catalog(): Promise<CatalogApi>;
  stats(): Promise<StoreStats>;
  verify(onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<StoreVerifyReport>;
  close(): Promise<void>;
}
