// The watcher's only import point: AppendOnlyLogWatcher (folders → durable versions), its events and options,
// and the history/restore helpers the CLI uses without a running watcher.
export { AppendOnlyLogWatcher } from './watcher.js';
export { WATCHER_EVENTS, type WatcherEventMap, type WatcherEventName, type WatcherChange, type ChangeKind, type WatcherStats, type DurableBatch, type ScanProgress } from './events.js';
export { resolveWatcherOptions, type WatcherOptions, type ResolvedWatcherOptions, type WatcherSyncView } from './options.js';
export { fileHistory, resolveUserPath, historyEntryOf, type HistoryEntry, type HistoryEvent } from './history.js';
export { knownRootsOf, assignRootNames } from './root-names.js';
export { IGNORE_FILE_NAME } from './excludes.js';
export { parseSince } from './since.js';
export { mapLimit } from './map-limit.js';
