// Watcher options: what a user gives (WatcherOptions, every field optional but the roots) kept apart from what the
// watcher runs with (ResolvedWatcherOptions, every field decided), after chokidar's options/resolved split.
// Resolution validates and normalises once, at the entry point; nothing below re-checks user input.
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { EntryRecord, StoreApi, StoreOptions, StoredRecord } from '../store/types.js';
import { WATCH_LIMITS } from '../util/limits.js';
import type { WatcherChange } from './events.js';

export interface WatcherOptions {
  /** One directory to watch. Use `watchPaths` for several; giving both watches all of them. */
  watchPath?: string;
  watchPaths?: readonly string[];
  /** The log directory. Default: `<first root>.synclog` beside the first root. */
  logPath?: string;
  /** An already open store to use instead of opening `logPath` (the caller closes it). */
  store?: StoreApi;
  storeOptions?: StoreOptions;
  /** gitignore-style patterns, applied in every root (plus each root's .synclogignore). */
  exclude?: readonly string[];
  /** Walk every root at start and record what changed since the log's last state. Default true. */
  initialScan?: boolean;
  /** Quiet time after a path's last event before it is read. Default WATCH_LIMITS.debounceMsDefault. */
  debounceMs?: number;
  /** How long a delete waits for a matching add to pair as a rename. Default: debounceMs. */
  renameWindowMs?: number;
  /** Poll instead of inotify/FSEvents (network and container mounts). */
  poll?: boolean;
  pollIntervalMs?: number;
  onFileCreated?: (change: WatcherChange) => void;
  onFileModified?: (change: WatcherChange) => void;
  onFileDeleted?: (change: WatcherChange) => void;
  onFileRenamed?: (change: WatcherChange) => void;
  /** Two-way sync (src/sync, docs/sync.md): what the folder holds as the sync applier left it. */
  sync?: WatcherSyncView;
}

/**
 * A sync node's view of its folder: per path, the record whose state the folder holds (the last version the sync
 * applied there, or the watcher recorded there). The watcher compares what it finds with it instead of the log's
 * newest record (which may be a peer's losing version), so a write the applier made is never recorded again, and
 * stamps each record's `basedOn` with its version id.
 */
export interface WatcherSyncView {
  /**
   * The record the folder holds at `root/path`; null: nothing (whatever the log holds there); undefined: the log's
   * newest record (the catalog) says it.
   */
  latest(root: string, path: string): StoredRecord<EntryRecord> | null | undefined;
}

export interface ResolvedWatcherOptions {
  /** Absolute, de-duplicated root directories in the order given. */
  rootPaths: string[];
  logPath: string;
  store: StoreApi | undefined;
  storeOptions: StoreOptions;
  exclude: string[];
  initialScan: boolean;
  debounceMs: number;
  renameWindowMs: number;
  settleWaitMsMax: number;
  poll: boolean;
  pollIntervalMs: number;
  handlers: {
    created?: (change: WatcherChange) => void;
    modified?: (change: WatcherChange) => void;
    deleted?: (change: WatcherChange) => void;
    renamed?: (change: WatcherChange) => void;
  };
  sync: WatcherSyncView | undefined;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`${name} must be a number >= 0, got ${String(value)}`, { option: name });
  return value;
}

/** Validates user options and fills every default. Throws UsageError for bad input. */
export function resolveWatcherOptions(options: WatcherOptions): ResolvedWatcherOptions {
  const given = [...(options.watchPath !== undefined ? [options.watchPath] : []), ...(options.watchPaths ?? [])];
  if (given.length === 0) throw new UsageError('nothing to watch: give watchPath or watchPaths', { option: 'watchPath' });
  for (const p of given) {
    if (typeof p !== 'string' || p.length === 0) throw new UsageError('a watch path must be a non-empty string', { option: 'watchPaths' });
  }
  const rootPaths = [...new Set(given.map((p) => resolve(p)))];
  const debounceMs = nonNegative('debounceMs', options.debounceMs, WATCH_LIMITS.debounceMsDefault);
  const exclude = [...(options.exclude ?? [])];
  for (const pattern of exclude) {
    if (typeof pattern !== 'string') throw new UsageError('exclude patterns must be strings', { option: 'exclude' });
  }
  return {
    rootPaths,
    logPath: resolve(options.store?.logDir ?? options.logPath ?? `${rootPaths[0]}.synclog`),
    store: options.store,
    storeOptions: options.storeOptions ?? {},
    exclude,
    initialScan: options.initialScan ?? true,
    debounceMs,
    renameWindowMs: nonNegative('renameWindowMs', options.renameWindowMs, debounceMs),
    settleWaitMsMax: Math.max(WATCH_LIMITS.settleWaitMsMax, debounceMs * 4),
    poll: options.poll ?? false,
    pollIntervalMs: nonNegative('pollIntervalMs', options.pollIntervalMs, 1000),
    handlers: {
      created: options.onFileCreated,
      modified: options.onFileModified,
      deleted: options.onFileDeleted,
      renamed: options.onFileRenamed,
    },
    sync: options.sync,
  };
}
