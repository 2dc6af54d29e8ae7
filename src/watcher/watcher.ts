// AppendOnlyLogWatcher: watches one or more roots with chokidar and records every change as a durable version in
// the log (through the store). Owns the roots, their chokidar watchers and the watch markers; the path pipeline
// (change-pipeline.ts) owns debounce, reconcile, rename pairing and commits.
// Never writes the log except through the store, never follows symlinks, never records inside the log directory.
// Invariant: an event reaches listeners only after its record is durable; stop() returns only after everything
// seen is durable, the stop markers are written and the stat cache is saved.
/// <reference lib="esnext.disposable" />
import type { FSWatcher } from 'chokidar';
import { EventEmitter } from 'node:events';
import { realpath, stat, statfs } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname, basename, join } from 'node:path';
import { ClosedError, DiskFullError, errnoOf, NotFoundError, SynclogError, UsageError, type WatchError } from '../errors.js';
import type { WatchRecord } from '../record/index.js';
import type { CatalogApi, StoreApi } from '../store/types.js';
import { formatSize } from '../util/format-size.js';
import { WATCH_LIMITS } from '../util/limits.js';
import { ChangePipeline, type PipelineRoot } from './change-pipeline.js';
import { WATCHER_EVENTS, type WatcherChange, type WatcherEventMap, type WatcherStats } from './events.js';
import { createExcludeMatcher, readIgnoreFile } from './excludes.js';
import { fileHistory, type HistoryEntry } from './history.js';
import { resolveWatcherOptions, type ResolvedWatcherOptions, type WatcherOptions, type WatcherSyncView } from './options.js';
import { OwnerLookup } from './owner.js';
import { assignRootNames, knownRootsOf } from './root-names.js';
import { LiveIndex, watchErrorFor, rootChangeHandler, rawNameHandler } from './watch-roots.js';
import { scanRoot } from './scan.js';
import { DirRescanner } from './dir-rescan.js';

interface RootRuntime extends PipelineRoot {
  chokidar: FSWatcher | undefined;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class AppendOnlyLogWatcher extends EventEmitter<WatcherEventMap> {
  readonly options: ResolvedWatcherOptions;
  private state: State = 'new';
  private store: StoreApi | undefined;
  private catalog: CatalogApi | undefined;
  /** What the pipeline and scans compare the disk with: the catalog, or a sync node's view of its folder. */
  private view: Pick<CatalogApi, 'latest'> | undefined;
  private pipeline: ChangePipeline | undefined;
  private rescanner: DirRescanner | undefined;
  private readonly roots = new Map<string, RootRuntime>();
  private readonly live = new LiveIndex();
  private readonly owners = new OwnerLookup();
  private startedAtMs = 0;
  private stoppedAtMs: number | undefined;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  /** The stat-cache save after the initial scan became durable (stop waits for it before closing the store). */
  private scanSaved: Promise<void> | undefined;

  constructor(options: WatcherOptions) {
    super();
    this.options = resolveWatcherOptions(options);
  }

  /**
   * Opens the log, writes the start markers, watches every root and (unless disabled) scans them. Resolves once
   * every root is watched and the scan has queued what changed; flush() then waits until that is durable.
   */
  start(options: { live?: boolean } = {}): Promise<void> {
    if (this.state !== 'new') return Promise.reject(stamp(new ClosedError('a watcher starts once; create a new one', { state: this.state }), 'start'));
    this.state = 'starting';
    this.starting = this.startNow(options);
    return this.starting;
  }

  private async startNow(options: { live?: boolean }): Promise<void> {
    this.startedAtMs = Date.now();
    try {
      const rootPaths = refuseOverlaps([...new Set(await Promise.all(this.options.rootPaths.map(checkRoot)))]);
      const store = this.options.store ?? (await openStoreFor(this.options));
      this.store = store;
      this.catalog = await store.catalog();
      const logReal = await realpathLoose(this.options.logPath);
      // The catalog just read every watch record: a second walk of the log for them cost a rescan a pass over
      // every segment (frame headers and checksums of whatever shares the read buffer).
      const names = assignRootNames(rootPaths, await knownRootsOf(this.catalog.watches()));
      for (const rootPath of rootPaths) {
        const patterns = [...this.options.exclude, ...(await readIgnoreFile(rootPath))];
        const name = names.get(rootPath)!;
        this.roots.set(name, { name, path: rootPath, matcher: createExcludeMatcher(rootPath, logReal, patterns), failed: false, chokidar: undefined });
      }
      this.live.load(this.catalog);
      this.view = viewOf(this.catalog, this.options.sync);
      this.pipeline = this.createPipeline(store, this.view);
      const pipeline = this.pipeline;
      this.rescanner = new DirRescanner(
        {
          roots: this.roots,
          isLive: (root, path) => this.live.has(root, path),
          isPending: (root, path) => pipeline.isPending(root, path),
          liveChildren: (root, dir) => this.live.children(root, dir),
          touch: (root, path) => pipeline.touch(root, path),
          // ctime has whole-tick granularity on some file systems: keep a second of slack.
          changedSinceMs: this.options.initialScan || options.live === false ? undefined : this.startedAtMs - 1000,
        },
        this.options,
      );
      await store.appendRecords([...this.roots.values()].map((root) => this.watchRecord(root, 'start')));
      if (options.live !== false) await Promise.all([...this.roots.values()].map((root) => this.watchRoot(root)));
      if (this.options.initialScan || options.live === false) {
        await this.scanAll();
        // Once what the scan found is durable, keep the stat cache: a crash later still skips this tree's reads.
        const pipeline = this.pipeline;
        this.scanSaved = pipeline.flush().then(() => (this.state === 'running' ? store.statCache.save() : undefined)).catch((error: Error) => this.emitError(error));
      }
      this.state = 'running';
      this.emit(WATCHER_EVENTS.READY);
    } catch (error) {
      await this.abortStart();
      throw stamp(error, 'start');
    }
  }

  /** Resolves once every change seen so far is durable in the log. */
  async flush(): Promise<void> {
    if (!this.pipeline || !this.store) throw new ClosedError('the watcher is not running', {});
    await this.rescanner?.idle();
    await this.pipeline.flush();
    await this.store.flush();
  }

  /**
   * Stops watching, records everything still pending (no debounce), writes the stop markers, saves the stat cache
   * and closes the log (when the watcher opened it). Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  getStats(): WatcherStats {
    const c = this.pipeline?.counters;
    const end = this.stoppedAtMs ?? Date.now();
    const state = (root: RootRuntime) => (root.failed ? 'failed' : this.state === 'stopped' ? 'stopped' : 'watching');
    return {
      created: c?.created ?? 0,
      modified: c?.modified ?? 0,
      deleted: c?.deleted ?? 0,
      renamed: c?.renamed ?? 0,
      duplicatesSkipped: c?.duplicatesSkipped ?? 0,
      bytesIngested: c?.bytesIngested ?? 0,
      filesRead: c?.filesRead ?? 0,
      versions: c?.versions ?? 0,
      errors: c?.errors ?? 0,
      notRecorded: c?.notRecorded ?? 0,
      pending: this.pipeline?.pendingCount ?? 0,
      runtimeMs: this.startedAtMs === 0 ? 0 : end - this.startedAtMs,
      roots: [...this.roots.values()].map((root) => ({ name: root.name, path: root.path, state: state(root) })),
    };
  }

  /** Versions of a path (`root/rel`, or rel when there is one root), oldest first. */
  async getFileHistory(displayPath: string): Promise<HistoryEntry[]> {
    return fileHistory(this.requireStore('getFileHistory'), displayPath, this.rootPathMap()).catch((e) => {
      throw stamp(e, 'getFileHistory');
    });
  }

  /**
   * Tells the pipeline that `dest` is about to hold `contentId` because of a restore (src/index.ts restoreVersion),
   * so the change it then sees there is recorded as event 'restored'. Nothing happens outside the watched roots.
   */
  protected expectRestored(dest: string, contentIdHex: string): void {
    const into = [...this.roots.values()].find((r) => dest.startsWith(`${r.path}/`));
    if (into) this.pipeline?.expectRestore(into.name, dest.slice(into.path.length + 1), contentIdHex);
  }

  /**
   * A sync node wrote (`present`) or removed an entry at `root/path` itself: the watcher's index of live paths
   * follows, so a folder deleted later takes what the sync put in it along (docs/sync.md).
   */
  noteApplied(root: string, path: string, present: boolean): void {
    this.live.apply({ root, path, change: present ? 'created' : 'deleted', renamedFrom: undefined });
  }

  /** Where each running root lives (absolute path → root name). */
  protected rootPathMap(): Map<string, string> {
    return new Map([...this.roots.values()].map((root) => [root.path, root.name]));
  }

  private createPipeline(store: StoreApi, catalog: Pick<CatalogApi, 'latest'>): ChangePipeline {
    return new ChangePipeline(
      store,
      { store, catalog, syncFileCalls: !this.options.poll, stampBasedOn: this.options.sync !== undefined },
      this.roots,
      {
        committed: (changes, batch) => this.onCommitted(changes, batch),
        error: (error) => this.emitError(error),
        rootFailed: (root, error) => {
          void (root as RootRuntime).chokidar?.close();
          this.emitError(error);
        },
        ownerOf: (uid) => this.owners.nameOf(uid),
        liveBelow: (root, dir) => this.live.below(root, dir),
        liveFilesWithContent: (root, contentIdHex, max) => this.live.filesWithContent(root, contentIdHex, max),
        diskFull: (error, waiting) => void this.onDiskFull(error, waiting),
        resumed: (stalledMs) => {
          this.emit(WATCHER_EVENTS.RESUMED, { stalledMs });
        },
      },
      { debounceMs: this.options.debounceMs, renameWindowMs: this.options.renameWindowMs, settleWaitMsMax: this.options.settleWaitMsMax },
    );
  }

  /**
   * Says once per full-disk episode what is held up and how much room it wants, as an 'error' (what every listener
   * hears) and a 'disk-full' event (for scripts). The waiting paths are kept and retried by the pipeline.
   */
  private async onDiskFull(cause: DiskFullError, waiting: { paths: number; fileBytes: number }): Promise<void> {
    const logDir = this.options.logPath;
    const freeBytes = await statfs(logDir).then((s) => s.bavail * s.bsize, () => undefined);
    const free = freeBytes === undefined ? '' : ` (${formatSize(freeBytes)} free)`;
    const held = `${waiting.paths} change${waiting.paths === 1 ? '' : 's'} wait to be recorded`;
    const need = waiting.fileBytes > 0 ? `, up to ${formatSize(waiting.fileBytes)} of file content before dedup and compression` : '';
    const error = new DiskFullError(
      `the log's disk is full: ${logDir}${free}; ${held}${need}; recording resumes by itself once space is freed`,
      { ...cause.info, freeBytes, waitingPaths: waiting.paths, waitingFileBytes: waiting.fileBytes },
      { cause },
    );
    this.emit(WATCHER_EVENTS.DISK_FULL, { logDir, freeBytes, waitingPaths: waiting.paths, waitingFileBytes: waiting.fileBytes });
    this.emitError(error);
  }

  private onCommitted(changes: WatcherChange[], batch: { count: number; lastSeq: number }): void {
    for (const change of changes) {
      this.live.apply(change);
      if (change.type === 'dir' && (change.change === 'created' || change.change === 'renamed')) this.newDirRecorded(change.root, change.path);
      this.emit(WATCHER_EVENTS.VERSION, change);
      const kind = change.change === 'restored' ? 'modified' : change.change;
      this.emit(kind, change);
      const handler = this.options.handlers[kind];
      if (handler) {
        try {
          handler(change);
        } catch (error) {
          this.emitError(error instanceof Error ? error : new Error(String(error)));
        }
      }
    }
    this.emit(WATCHER_EVENTS.DURABLE, batch);
    if (this.state === 'running' && this.pipeline!.pendingCount < WATCH_LIMITS.pendingPathsMax / 2) {
      for (const root of this.roots.values()) {
        if (!root.rescanNeeded || root.failed) continue;
        root.rescanNeeded = false;
        void this.scanOne(root).catch((error: Error) => this.emitError(error));
      }
    }
  }

  /**
   * A directory the log did not have is now recorded: make sure its files are found and its changes heard, whatever
   * the event source did. chokidar can miss a directory made during a burst: it re-reads a parent after events in it,
   * suppressing re-reads for 1 s while one runs, and the events counted while suppressed are dropped when that second
   * ends before the read does (a loaded machine) — the child directory then never gets a watch, and nothing lists it.
   * So: list it ourselves (every name in it is new) and ask chokidar to watch it if it does not already.
   */
  private newDirRecorded(rootName: string, path: string): void {
    const root = this.roots.get(rootName);
    if (!root || root.failed || this.state !== 'running') return;
    this.rescanner?.touchNew(rootName, path);
    if (root.chokidar && !this.options.poll) ensureDirWatched(root.chokidar, join(root.path, ...path.split('/')));
  }

  /** 'error' without listeners would throw from emit (EventEmitter's rule); a watcher must not die of it. */
  private emitError(error: Error): void {
    if (this.listenerCount(WATCHER_EVENTS.ERROR) > 0) this.emit(WATCHER_EVENTS.ERROR, error);
  }

  /**
   * Watches one root. With inotify (not --poll), chokidar watches directories only and the names of changed files
   * come from its 'raw' events (each directory's fs.watch reports the name of every child it saw change): chokidar
   * would otherwise add an fs.watch (an inotify watch) and a stat per file, and re-list the directory on each event
   * with a stat of every entry before naming the file. Polling needs chokidar's per-file stat watchers, so it keeps
   * files. What a name means is never taken from the event: the pipeline's reconcile looks (state-based).
   */
  private async watchRoot(root: RootRuntime): Promise<void> {
    // Loaded only for live watching: `synclog snapshot` (live: false) never watches, and chokidar's import was
    // ~10-30 ms of every snapshot's start.
    const { watch: chokidarWatch } = await import('chokidar');
    const pipeline = this.pipeline!;
    const namesFromRaw = !this.options.poll;
    const watcher = chokidarWatch(root.path, {
      persistent: true,
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: this.options.poll,
      interval: this.options.pollIntervalMs,
      binaryInterval: this.options.pollIntervalMs,
      atomic: false, // our own debounce and state-based reconcile handle save-by-rename
      ignorePermissionErrors: true,
      ignored: (path: string, stats?: { isDirectory(): boolean }) =>
        (namesFromRaw && stats !== undefined && !stats.isDirectory()) || root.matcher.excludes(path, stats?.isDirectory()),
    });
    if (namesFromRaw) listDirectoriesWithoutStats(watcher);
    root.chokidar = watcher;
    const onChange = rootChangeHandler(root, pipeline, this.rescanner!);
    for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(event, (path) => onChange(event, path));
    if (namesFromRaw) watcher.on('raw', rawNameHandler(root, onChange, this.rescanner!));
    // Out of inotify watches, chokidar reports every directory it could not watch: a tree far past the limit would
    // log one error per directory (hundreds of thousands). Said once per root; the error counter keeps the count.
    let watchLimitSaid = false;
    watcher.on('error', (error) => {
      if (root.failed) return;
      this.pipeline!.counters.errors += 1;
      const watchError = watchErrorFor(root, error as NodeJS.ErrnoException, this.options.poll);
      if (watchError.details.reason === 'watch-limit') {
        if (watchLimitSaid) return;
        watchLimitSaid = true;
      }
      this.emitError(watchError);
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  private async scanAll(): Promise<void> {
    for (const root of this.roots.values()) await this.scanOne(root);
  }

  /** Walks one root and queues what differs from the log (initial scan, snapshot, backlog overflow). */
  private async scanOne(root: RootRuntime): Promise<void> {
    const pipeline = this.pipeline!;
    const catalog = this.view!;
    const done = await scanRoot(root, {
      syncFileCalls: !this.options.poll,
      latest: (r, p) => catalog.latest(r, p),
      statCache: this.store!.statCache,
      livePaths: (r) => this.live.paths(r),
      changed: (path) => pipeline.enqueueNow(root.name, path),
      inode: (path, ino) => pipeline.noteInode(root.name, path, ino),
      progress: (entriesSeen, entriesChanged) => {
        if (entriesChanged >= WATCH_LIMITS.readAheadPathsMin) pipeline.expectManyPaths();
        this.emit(WATCHER_EVENTS.SCAN_PROGRESS, { root: root.name, entriesSeen, entriesChanged, done: false });
      },
      error: (error) => this.emitError(error),
    });
    this.emit(WATCHER_EVENTS.SCAN_PROGRESS, { root: root.name, ...done, done: true });
  }

  private async stopNow(): Promise<void> {
    // A stop during start waits for it: the store and roots are half set up until then.
    await this.starting?.catch(() => {});
    if (this.state === 'new' || this.state === 'stopped') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    await Promise.all([...this.roots.values()].map((root) => root.chokidar?.close()));
    const store = this.store!;
    try {
      await this.scanSaved;
      await this.rescanner!.drain();
      await this.pipeline!.drain();
      const active = [...this.roots.values()].filter((root) => !root.failed);
      // On a full disk the stop markers and the stat cache cannot be written: the log then ends as after a crash
      // (the next start's scan re-reads what the cache would have saved); stop still returns, with the counts.
      await store.appendRecords(active.map((root) => this.watchRecord(root, 'stop'))).catch(ignoreFullDisk);
      // A store this watcher opened saves its stat cache as it closes, together with its other derived files (their
      // fsyncs overlap: saved here first, the stat cache's two fsyncs came before the catalog checkpoint's at the end
      // of every snapshot). A store it was given stays open: its stat cache is saved here.
      if (this.options.store) await store.statCache.save().catch(ignoreFullDisk);
    } finally {
      this.rescanner!.close();
      this.pipeline!.close();
      this.stoppedAtMs = Date.now();
      this.state = 'stopped';
      if (!this.options.store) await store.close().catch(ignoreFullDisk);
    }
  }

  private async abortStart(): Promise<void> {
    this.state = 'stopped';
    this.rescanner?.close();
    this.pipeline?.close();
    await Promise.all([...this.roots.values()].map((root) => root.chokidar?.close()));
    if (this.store && !this.options.store) await this.store.close().catch(() => {});
  }

  private watchRecord(root: RootRuntime, event: 'start' | 'stop'): WatchRecord {
    let user = 'unknown';
    try {
      user = userInfo().username;
    } catch {
      // no passwd entry for this uid
    }
    return { kind: 'watch', event, time: Date.now(), root: root.name, rootPath: root.path, host: hostname(), pid: process.pid, user };
  }

  /** The open store while running (protected: src/index.ts adds archive and explorer methods on top). */
  protected requireStore(op: string): StoreApi {
    if (!this.store || this.state === 'stopped') throw stamp(new ClosedError('the watcher is not running', {}), op);
    return this.store;
  }
}

async function checkRoot(path: string): Promise<string> {
  try {
    const real = await realpath(path);
    if (!(await stat(real)).isDirectory()) throw new UsageError(`${path} is not a directory`, { path });
    return real;
  } catch (error) {
    if (error instanceof SynclogError) throw error;
    throw new NotFoundError(`cannot watch ${path}: it does not exist`, { what: 'directory', id: path });
  }
}

/** Nested roots would record every file below the inner one twice, under two names: refused. */
function refuseOverlaps(rootPaths: string[]): string[] {
  for (const outer of rootPaths) {
    const inner = rootPaths.find((p) => p !== outer && p.startsWith(outer.endsWith('/') ? outer : `${outer}/`));
    if (inner) throw new UsageError(`watch roots overlap: ${inner} is inside ${outer}; watch only ${outer}`, { outer, inner });
  }
  return rootPaths;
}

/** realpath of a path that may not exist yet (the log before its first open): resolve the parent instead. */
async function realpathLoose(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    try {
      return join(await realpath(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}

async function openStoreFor(options: ResolvedWatcherOptions): Promise<StoreApi> {
  const { openStore } = await import('../store/index.js');
  return openStore(options.logPath, options.storeOptions);
}

/** The catalog, with a sync view's records in front of it where it has one. */
function viewOf(catalog: CatalogApi, sync: WatcherSyncView | undefined): Pick<CatalogApi, 'latest'> {
  if (!sync) return catalog;
  return {
    latest: (root, path) => {
      const held = sync.latest(root, path);
      return held === undefined ? catalog.latest(root, path) : (held ?? undefined);
    },
  };
}

function stamp(error: unknown, operation: string): unknown {
  if (error instanceof SynclogError && error.operation === undefined) error.operation = operation;
  return error;
}

export type { WatchError };

/**
 * Asks chokidar to watch `absPath` unless it already has a watch there (FSWatcher#_closers: its map of open watches
 * per path, chokidar 5.0). Without that internal, it always asks: a second watch of a path shares chokidar's one
 * fs.watch instance and costs one more listener.
 */
export function ensureDirWatched(watcher: FSWatcher, absPath: string): boolean {
  const closers: unknown = Reflect.get(watcher, '_closers');
  if (closers instanceof Map && closers.has(absPath)) return false;
  watcher.add(absPath);
  return true;
}

/** The other chokidar internal this file leans on (chokidar 5.0: FSWatcher#_readdirp, used only by its directory re-read). */
interface ReaddirpEntry {
  stats?: unknown;
  dirent?: unknown;
}
type ReaddirpOptions = { fileFilter: (entry: ReaddirpEntry) => boolean; directoryFilter: (entry: ReaddirpEntry) => boolean } & Record<string, unknown>;

/**
 * chokidar lists a directory again after every burst of events in it (to find new children) and lstats every entry
 * of it to do so: O(entries) system calls per event, 85 ms of CPU per one-file edit in a folder of 20,000 files
 * (docs/watcher.md "Big directories"). With directories-only watching (inotify mode) it needs no stat: our `ignored`
 * asks only isDirectory(), which a Dirent answers, and a child it adds is stat'ed by chokidar itself. So its re-reads
 * use readdir's Dirents in place of lstat results. Guarded: if chokidar no longer has this internal, nothing is
 * changed (only slower); tests/unit/watcher/chokidar-listing.test.ts fails then, so an upgrade notices.
 */
export function listDirectoriesWithoutStats(watcher: unknown): boolean {
  const target = watcher as { _readdirp?: (root: string, options: ReaddirpOptions) => unknown };
  const original = target._readdirp;
  if (typeof original !== 'function') return false;
  const withDirent = (filter: (entry: ReaddirpEntry) => boolean) => (entry: ReaddirpEntry) => {
    entry.stats ??= entry.dirent;
    return filter(entry);
  };
  target._readdirp = function (this: unknown, root: string, options: ReaddirpOptions) {
    return original.call(this, root, {
      ...options,
      alwaysStat: false,
      fileFilter: withDirent(options.fileFilter),
      directoryFilter: withDirent(options.directoryFilter),
    });
  };
  return true;
}

function ignoreFullDisk(error: unknown): void {
  if (error instanceof DiskFullError || errnoOf(error) === 'ENOSPC' || errnoOf(error) === 'EDQUOT') return;
  throw error;
}
