// The watcher's event names and payloads (chokidar's `EVENTS` + typed event map). Events about changes are emitted
// only after the records are durable in the log: a listener never hears of a version a crash could still lose.
import type { EntryType } from '../record/index.js';
import type { WatchError } from '../errors.js';

export const WATCHER_EVENTS = {
  /** Every recorded change (created, modified, renamed, deleted), once durable. */
  VERSION: 'version',
  CREATED: 'created',
  MODIFIED: 'modified',
  DELETED: 'deleted',
  RENAMED: 'renamed',
  /** A root or a path could not be watched or read; the watcher goes on with the rest. */
  ERROR: 'error',
  /** The log's disk is full: changes wait (kept, retried with backoff); said once per episode, also as an 'error'. */
  DISK_FULL: 'disk-full',
  /** Appends go through again after a full disk; the waiting changes are being recorded. */
  RESUMED: 'resumed',
  /** A batch of records became durable (after its fsync). */
  DURABLE: 'durable',
  /** Every root is watched and the initial scan (if any) has been queued. */
  READY: 'ready',
  SCAN_PROGRESS: 'scan-progress',
} as const;
export type WatcherEventName = (typeof WATCHER_EVENTS)[keyof typeof WATCHER_EVENTS];

export type ChangeKind = 'created' | 'modified' | 'renamed' | 'deleted' | 'restored';

/** One durable change, as listeners and the CLI see it. */
export interface WatcherChange {
  change: ChangeKind;
  versionId: string;
  root: string;
  /** Relative to the root, '/'-separated. */
  path: string;
  /** `${root}/${path}`: the name users give to history and restore. */
  display: string;
  type: EntryType;
  /** File size in bytes (0 for directories and deletes; the target length for symlinks). */
  size: number;
  /** BLAKE3 of the content, hex (files only). */
  contentId?: string;
  /** For 'renamed': the old relative path. */
  renamedFrom?: string;
  /** Log sequence number of the record. */
  seq: number;
  /** When synclog recorded it (ms since the epoch). */
  time: number;
}

export interface DurableBatch {
  /** Records made durable by this append. */
  count: number;
  /** Highest seq now durable. */
  lastSeq: number;
}

/** What a full disk holds up, as the 'disk-full' event tells it. */
export interface DiskFullInfo {
  logDir: string;
  /** Bytes free for this process on the log's file system when it was noticed (undefined if statfs failed). */
  freeBytes: number | undefined;
  /** Paths waiting to be recorded, and the size of their file content (before dedup and compression). */
  waitingPaths: number;
  waitingFileBytes: number;
}

export interface ScanProgress {
  root: string;
  /** Entries looked at so far in this root. */
  entriesSeen: number;
  /** Entries queued because they changed since the log's last state. */
  entriesChanged: number;
  done: boolean;
}

export interface WatcherEventMap {
  [WATCHER_EVENTS.VERSION]: [change: WatcherChange];
  [WATCHER_EVENTS.CREATED]: [change: WatcherChange];
  [WATCHER_EVENTS.MODIFIED]: [change: WatcherChange];
  [WATCHER_EVENTS.DELETED]: [change: WatcherChange];
  [WATCHER_EVENTS.RENAMED]: [change: WatcherChange];
  [WATCHER_EVENTS.ERROR]: [error: WatchError | Error];
  [WATCHER_EVENTS.DISK_FULL]: [info: DiskFullInfo];
  [WATCHER_EVENTS.RESUMED]: [info: { stalledMs: number }];
  [WATCHER_EVENTS.DURABLE]: [batch: DurableBatch];
  [WATCHER_EVENTS.READY]: [];
  [WATCHER_EVENTS.SCAN_PROGRESS]: [progress: ScanProgress];
}

export interface WatcherStats {
  created: number;
  modified: number;
  deleted: number;
  renamed: number;
  /** Saves whose content was already the latest version: no version recorded. */
  duplicatesSkipped: number;
  /** Bytes of file content read and handed to the store. */
  bytesIngested: number;
  /** Files whose content was read (0 for a rescan of an unchanged tree). */
  filesRead: number;
  versions: number;
  errors: number;
  /** Changes seen but not recorded because the log's disk was full when the watcher stopped (the next scan finds them). */
  notRecorded: number;
  /** Paths seen and not yet durable (waiting to settle, being read, retrying). */
  pending: number;
  runtimeMs: number;
  roots: { name: string; path: string; state: 'watching' | 'failed' | 'stopped' }[];
}
