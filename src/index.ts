// The library surface: re-exports only, plus the convenience methods on AppendOnlyLogWatcher that span parts
// (archives and the explorer sit above the watcher in the import direction, so they are joined here, at the top).
import { exportArchive, importArchive, type ExportOptions, type ExportResult, type ImportOptions, type ImportResult } from './archive/index.js';
import { exploreLog, type ExploreOptions } from './explorer/index.js';
import { restoreVersionById, type RestoreOptions } from './receiver/index.js';
import { contentIdHex } from './record/index.js';
import { resolveUserPath } from './watcher/index.js';
import { SynclogError } from './errors.js';
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

  /**
   * Writes a version (id or unique prefix) of `displayPath` back to disk through the receiver's restore service (the
   * same rules as `synclog restore` and the explorer: docs/receiver.md "Restore"): to `dest`, or to its original
   * place in its watched root when `dest` is omitted. An existing target is refused unless `options.force` (or it
   * holds recorded content of that path). A restore into a watched root is then recorded with event 'restored'.
   */
  async restoreVersion(displayPath: string, versionId: string, dest?: string, options: RestoreOptions = {}): Promise<{ dest: string; size: number }> {
    try {
      const store = this.requireStore('restoreVersion');
      const rootPaths = this.rootPathMap();
      const { root, path } = resolveUserPath(await store.catalog(), displayPath, rootPaths);
      const rootPath = [...rootPaths].find(([, name]) => name === root)?.[0];
      const result = await restoreVersionById(store, {
        ...options,
        root,
        path,
        versionId,
        dest,
        rootPath,
        beforeWrite: (target, record) => {
          if (record.contentId) this.expectRestored(target, contentIdHex(record.contentId));
        },
      });
      return { dest: result.target, size: result.size };
    } catch (error) {
      if (error instanceof SynclogError && error.operation === undefined) error.operation = 'restoreVersion';
      throw error;
    }
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
export { ServiceRunner, loadConfig, parseConfig, type ServiceConfig, type ServiceLogEvent, type ServiceStatus, type HookEvent } from './service/index.js';
