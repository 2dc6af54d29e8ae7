// Record kinds carried in log payloads: a discriminated union on `kind`.
// The log itself is payload-agnostic; it only sees the one-byte tag (RECORD_TAGS) so readers can skip records they
// do not want without decoding them. docs/format.md "Record payloads" is the authority on the msgpack keys.
import type { LogPath } from '../util/log-path.js';

/** One-byte frame tags, one per record kind. Stable on disk: never renumber. */
export const RECORD_TAGS = {
  chunk: 1,
  version: 2,
  delete: 3,
  watch: 4,
  params: 5,
  // Retention (docs/format.md "Retention (format version 3)"): only in version-3 segments.
  forget: 6,
  pruned: 7,
} as const;
export type RecordKind = keyof typeof RECORD_TAGS;

/** 32-byte BLAKE3 digest of content (a chunk's or a whole file's bytes). */
export type ContentIdBytes = Uint8Array;

/** Stable on disk and in order: the index is the fast path's codec (codec.ts); append only. 'zstd' needs format 2. */
export const CHUNK_CODECS = ['raw', 'deflate', 'zstd'] as const;
export type ChunkCodec = (typeof CHUNK_CODECS)[number];

/** A content-addressed piece of a file, stored once per log. `id` is BLAKE3 of the uncompressed bytes. */
export interface ChunkRecord {
  kind: 'chunk';
  id: ContentIdBytes;
  codec: ChunkCodec;
  /** Uncompressed size in bytes. */
  size: number;
  /** The stored bytes (compressed when codec is not 'raw'). */
  data: Uint8Array;
}

export const ENTRY_TYPES = ['file', 'dir', 'symlink'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export const VERSION_EVENTS = ['created', 'modified', 'renamed', 'restored', 'imported'] as const;
export type VersionEvent = (typeof VERSION_EVENTS)[number];

/** A reference to a chunk inside a file version, in file order. */
export interface ChunkRef {
  id: ContentIdBytes;
  size: number;
}

/**
 * Where a pushed record came from (docs/protocol.md "Push"): the identity of the client's log and the record's seq
 * there. A server that appends what clients push stamps it on every record, so the log itself says how far each
 * client's records are held (a replay adds nothing twice) and which client owns which root. Absent on records a log
 * recorded itself.
 */
export interface RecordOrigin {
  /** The client log's id (`<baseSeq>-<salt hex>`, docs/protocol.md "Terminology"). */
  log: string;
  /** The record's seq in the client's log. */
  seq: number;
  /**
   * When the server appended it, ms since the epoch by the server's clock (synclog 0.5; absent on records pushed
   * before). Retention judges a pushed record by this, never by the client's `time` (docs/format.md "Receive time").
   * Only the server sets it: it replaces whatever origin a pushed record carries.
   */
  receivedMs?: number;
}

/**
 * One version of one entry. It is the commit point: written only after every chunk it references is in the log.
 * `root` names the watch root; `path` is relative to it. User-facing paths are `${root}/${path}`.
 */
export interface VersionRecord {
  kind: 'version';
  versionId: string;
  /** When synclog recorded it, ms since the epoch. */
  time: number;
  root: string;
  path: LogPath;
  type: EntryType;
  event: VersionEvent;
  /** For event 'renamed': the old path (same root). */
  renamedFrom?: LogPath;
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
  owner?: string;
  /** BLAKE3 of the whole content (files only). */
  contentId?: ContentIdBytes;
  /** The file's chunks in order (files only; empty for an empty file). */
  chunks?: ChunkRef[];
  /** Symlink target, stored as-is and never followed by synclog. */
  target?: string;
  /** Set on records a server appended for a pushing client. */
  origin?: RecordOrigin;
  /** Sync (docs/sync.md): the version id that was at this path in the writer's folder; absent: none or unknown. */
  basedOn?: string;
}

/** A tombstone: the entry at `path` is gone (deleted, or renamed away when `renamedTo` is set). */
export interface DeleteRecord {
  kind: 'delete';
  versionId: string;
  time: number;
  root: string;
  path: LogPath;
  type: EntryType;
  renamedTo?: LogPath;
  origin?: RecordOrigin;
  /** As VersionRecord.basedOn. */
  basedOn?: string;
}

/** Who watched what, from where, when: written when a watcher starts and stops. */
export interface WatchRecord {
  kind: 'watch';
  event: 'start' | 'stop';
  time: number;
  root: string;
  /** Absolute path of the root on the watching host (informational; never used to write). */
  rootPath: string;
  host: string;
  pid: number;
  user: string;
  origin?: RecordOrigin;
}

/**
 * How the store cuts, names and compresses content in this log (restic's repository config): written by the store
 * as a new log's first record, read back at every open, so a binary with other defaults keeps chunking this log the
 * way it always was (dedup depends on it). Values are names, not code: a binary that lacks one refuses to write.
 */
export interface ParamsRecord {
  kind: 'params';
  /** Chunking algorithm: 'fastcdc-gear' (src/store/chunker.ts). */
  chunker: string;
  chunkBytesMin: number;
  chunkBytesAvg: number;
  chunkBytesMax: number;
  /** Seed of the gear table (splitmix32). */
  gearSeed: number;
  /** Hash of chunk and content ids: 'blake3'. */
  contentHash: string;
  /** Codec new chunks are compressed with. */
  codec: string;
}

/**
 * Versions dropped by a retention policy (`synclog forget`): appended, never edited, so forgetting is itself
 * crash-safe and auditable. The versions stay readable until a prune replaces them with `pruned` records.
 */
export interface ForgetRecord {
  kind: 'forget';
  /** When the forget ran, ms since the epoch, by the clock of the host that holds the log. */
  time: number;
  /** The policy that chose these versions, as the command line gave it (for the audit trail). */
  policy: string;
  versionIds: string[];
}

/**
 * What a prune leaves at the seq of a record it removed (a forgotten version, an unreferenced chunk): the seq stays
 * taken, so every kept record keeps its seq and cursors keep their meaning. No fields.
 */
export interface PrunedRecord {
  kind: 'pruned';
}

export type LogRecord = ChunkRecord | VersionRecord | DeleteRecord | WatchRecord | ParamsRecord | ForgetRecord | PrunedRecord;
/** Records that describe the tree (what receivers and history care about). */
export type EntryRecord = VersionRecord | DeleteRecord;
