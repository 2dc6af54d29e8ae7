// The receiver's public shapes: options, events, summaries, and the narrow slice of the store it reads through.
// Owns no behaviour. Invariant: everything a caller sees about an applied change names the record it came from
// (seq, segment, offset), so an error or a warning can always be traced back to the log.
import type { ChunkLocation } from '../store/index.js';
import type { EntryReadOptions, SkippedRegion, StoredRecord, UnreadableVersion } from '../store/types.js';
import type { ChunkRef, EntryType, VersionEvent } from '../record/index.js';
import type { CarriedChunk, ContentWriterPool } from './content-writer-pool.js';

export const RECEIVER_MODES = ['latest', 'all-versions'] as const;
export type ReceiverMode = (typeof RECEIVER_MODES)[number];

/** The path (under its root) a file's content is written to. */
export interface ContentTarget {
  root: string;
  path: string;
}

/** What the receiver needs from a store: records in log order and file content. `StoreApi` satisfies it. */
export interface ReceiverSource {
  entries(options: EntryReadOptions): AsyncIterable<StoredRecord>;
  /** `target`: where the content is going (a remote source reads chunks the file there already holds). */
  readContent(chunks: readonly ChunkRef[], target?: ContentTarget): AsyncIterable<Uint8Array>;
  /**
   * Where chunks are in the log's segments. A source that has it (a store) gets its files' content read and written
   * by content-writer threads; one without it (tests' in-memory logs) is read through readContent.
   */
  locateChunks?(chunks: readonly ChunkRef[]): Promise<ChunkLocation[]>;
  /**
   * A file's chunks themselves, for a content-writer thread to check and write (a remote source: fetched records,
   * or bytes it read back from the destination and checked). A source with it and without locateChunks gets
   * content-writer threads of its own for files up to carriedFileBytesMax.
   */
  carryContent?(chunks: readonly ChunkRef[], target?: ContentTarget): Promise<CarriedChunk[]>;
  /** Damaged regions the reads went past so far (a store opened with skipDamaged). */
  skipped?(): readonly SkippedRegion[];
}

/** What one receiver run reads, opened at the start of the run and closed at its end. */
export interface OpenedReceiverSource {
  source: ReceiverSource;
  /** Saved in the cursor as the log the destination follows: a local log's real path, or a remote log's id. */
  logIdentity: string;
  /** Content-writer threads, for a source that can locate chunks (a local store); the session closes them. */
  writers?: ContentWriterPool;
  /** Seq after the log's last record now (for progress). */
  endSeq(): Promise<number | undefined>;
  /** Seq after the log's last record when opened, where it costs nothing (a remote log): a cursor past it is refused. */
  headSeq?: number;
  close(): Promise<void>;
}

/** Opens the source of a receiver run: the local log through the store (default), or a remote log (src/net). */
export interface ReceiverSourceOpener {
  /** `run`: the destination and mode of this run (a remote source reads chunks the destination already holds). */
  open(run: { outputPath: string; mode: ReceiverMode }): Promise<OpenedReceiverSource>;
}

/** Options a user gives (resolved by `resolveReceiverOptions`). */
export interface ReceiverOptions {
  /** The log directory to read (opened read-only; a watcher may be appending to it). With `source`: a label. */
  logPath: string;
  /** Read from this instead of the log at `logPath` (a remote log: src/net's remoteReceiverSource). */
  source?: ReceiverSourceOpener;
  /** The destination tree; created if missing. Its state lives in `<outputPath>/.synclog-receiver/`. */
  outputPath: string;
  /** Default 'latest'. Must match the mode an existing destination was made with. */
  mode?: ReceiverMode;
  /** Records applied at once. Default RECEIVER_LIMITS.applyConcurrency. */
  concurrency?: number;
  /**
   * Read on past mid-log damage (docs/receiver.md "Reading past damage"): damaged regions are passed over and a
   * version whose content is not intact is not applied; both are reported (events 'skipped' and 'unreadable', and
   * the summary) and the cursor moves past them. Default false: damage stops the receiver, the cursor before it.
   */
  skipDamaged?: boolean;
}

/** Where a record lives in the log: what every error and event names. */
export interface RecordWhere {
  seq: number;
  segment: string;
  offset: number;
}

export type ChangeAction = 'write' | 'mkdir' | 'symlink' | 'delete' | 'skip';

/** One applied version or delete. */
export interface AppliedChange extends RecordWhere {
  action: ChangeAction;
  kind: 'version' | 'delete';
  versionId: string;
  root: string;
  path: string;
  /** `${root}/${path}` */
  display: string;
  type: EntryType;
  /** What happened at the source: the version's event, or 'deleted'. */
  change: VersionEvent | 'deleted';
  renamedFrom?: string;
  renamedTo?: string;
  /** Bytes written (file content). */
  bytes: number;
  /** When synclog recorded the change (ISO 8601). */
  time: string;
  /** all-versions: where the version (or the deletion marker) was kept, relative to the destination. */
  versionFile?: string;
}

/** Something skipped on purpose (a symlink pointing outside the destination): the receiver carries on. */
export interface ReceiverWarning extends RecordWhere {
  reason: 'symlink-outside';
  display: string;
  message: string;
}

/** A version not applied (skipDamaged only): its content is not intact in the log. The destination keeps what it had there. */
export interface UnreadableRecord extends UnreadableVersion, RecordWhere {}

export interface ReceiverProgress {
  /** Seq after the last record applied. */
  nextSeq: number;
  /** Seq after the last record in the log when the catch-up began (unknown: undefined). */
  endSeq: number | undefined;
  changes: number;
  bytes: number;
}

export const RECEIVER_EVENTS = {
  applied: 'applied',
  warning: 'warning',
  error: 'error',
  progress: 'progress',
  caughtUp: 'caught-up',
  skipped: 'skipped',
  unreadable: 'unreadable',
} as const;

export interface ReceiverEventMap {
  applied: [change: AppliedChange];
  warning: [warning: ReceiverWarning];
  error: [error: Error];
  progress: [progress: ReceiverProgress];
  'caught-up': [summary: ReceiverSummary];
  /** skipDamaged: a damaged region of the log was read past (once per region). */
  skipped: [region: SkippedRegion];
  /** skipDamaged: a version was not applied because its content is not intact. */
  unreadable: [version: UnreadableRecord];
}

/** Counts for one catch-up (or one follow session up to now). */
export interface ReceiverSummary {
  mode: ReceiverMode;
  /** Seq the receiver started from (the saved cursor). */
  fromSeq: number;
  /** Seq saved in the cursor: everything before it is applied and durable. */
  nextSeq: number;
  changes: number;
  files: number;
  dirs: number;
  symlinks: number;
  deletes: number;
  /**
   * Catch-up (latest mode): records not applied because a later one supersedes them (a file written again, or
   * deleted, later in the backlog). `files` counts the files written.
   */
  superseded: number;
  bytes: number;
  /** Symlinks not recreated because their target is outside the destination. */
  skippedSymlinks: number;
  /** Damaged regions of the log read past (skipDamaged only; always empty otherwise). */
  skipped: SkippedRegion[];
  /** Versions not applied because their content is not intact (skipDamaged only). */
  unreadable: UnreadableRecord[];
  durationMs: number;
}
