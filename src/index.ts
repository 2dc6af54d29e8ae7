// The library surface: re-exports only, plus the convenience methods on AppendOnlyLogWatcher that span parts
// (archives and the explorer sit above the watcher in the import direction, so they are joined here, at the top).
import { exportArchive, importArchive, type ExportOptions, type ExportResult, type ImportOptions, type ImportResult } from './archive/index.js';
import { exploreLog, type ExploreOptions } from './explorer/index.js';
import { AppendOnlyLogWatcher as WatcherCore } from './watcher/index.js';

/**
 * Watches directories and records every change into an append-only log (see src/watcher), with archive export and
 * import and the explorer on the same log. Archive methods need the watcher running (they use its open log, which
 * holds the writer lock); exploreLog opens the log read-only and works either way.
 */
export class AppendOnlyLogWatcher extends WatcherCore {
  /** Writes one version (id or unique prefix) to a tar.gz archive; resolves when the file is complete and durable. */
  async exportArchive(versionId: string, file: string, options?: ExportOptions): Promise<ExportResult> {
    return exportArchive(this.requireStore('exportArchive'), { kind: 'version', versionId }, file, options);
  }

  /** Adds an archive's versions to this log, all or nothing (see docs/archive.md). */
  async importArchive(file: string, options?: ImportOptions): Promise<ImportResult> {
    return importArchive(this.requireStore('importArchive'), file, options);
  }

  /** Opens the terminal explorer on this watcher's log; resolves when the user quits. */
  async exploreLog(options: Omit<ExploreOptions, 'logDir'> = {}): Promise<void> {
    return exploreLog({ ...options, logDir: this.options.logPath });
  }
}

export {
  WATCHER_EVENTS,
  resolveWatcherOptions,
  type WatcherOptions,
  type ResolvedWatcherOptions,
  type WatcherEventMap,
  type WatcherChange,
  type WatcherStats,
  type HistoryEntry,
} from './watcher/index.js';
export { LogReceiver, checkout, type ReceiverOptions, type ReceiverSummary, type CheckoutOptions } from './receiver/index.js';
export { exportArchive, importArchive, type ArchiveSelection, type ExportOptions, type ExportResult, type ImportOptions, type ImportResult } from './archive/index.js';
export { exploreLog, type ExploreOptions } from './explorer/index.js';
export { openStore, type StoreApi, type StoreOptions, type CatalogApi, type StoreStats, type StoreVerifyReport } from './store/index.js';
export { Log, verifyLog, type LogOptions, type LogEntry, type RecoveryReport, type LogVerifyReport } from './log/index.js';
export * from './record/index.js';
export * from './errors.js';
