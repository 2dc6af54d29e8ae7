// SyncNode: one node of a sync group (docs/sync.md). In one process: the watcher records the folder into the log,
// the LogServer serves the log to peers (read side, long poll), one copy per peer follows that peer's log into this
// one, and the applier brings the folder to every path's winner. Owns the store (the log's single writer, shared by
// the watcher and the copies), the sync state and the shadow.
// Never echoes an applied change (the watcher compares with the shadow), never writes outside the folder, never
// takes a record a peer did not make itself.
import { mkdir, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FilesystemSync, topNameInside } from '../receiver/index.js';
import { AssertionError } from '../util/assert.js';
import { NotFoundError, UsageError } from '../errors.js';
import { readLogId } from '../log/index.js';
import { isRetryable, LogServer, sleep, Backoff, TokenSet, type RemoteLogOptions } from '../net/index.js';
import type { EntryRecord, VersionRecord } from '../record/index.js';
import { openStore, type StoreApi, type StoredRecord } from '../store/index.js';
import { AppendOnlyLogWatcher, assignRootNames, knownRootsOf, WATCHER_EVENTS, type WatcherChange } from '../watcher/index.js';
import { Applier } from './applier.js';
import { copyFromPeer, highSeqOf, refusePeer } from './peer-copy.js';
import { SyncState } from './sync-state.js';

/** A peer that is away is retried at once when a request comes in, but not more often than this. */
const PEER_WAKE_INTERVAL_MS = 1_000;

export interface SyncOptions {
  /** The folder kept in sync. It must exist. */
  dir: string;
  /** This node's log (created when missing). */
  logDir: string;
  /** Base URLs of the other nodes' servers. */
  peers: readonly string[];
  /** Where this node's server listens (default 127.0.0.1, port 0). */
  host?: string;
  port?: number;
  /** Tokens this node's server accepts (default: none, loopback only). */
  tokens?: TokenSet;
  tls?: { cert: Buffer; key: Buffer };
  /** How this node reads its peers (token, CA). */
  transport?: RemoteLogOptions;
  exclude?: readonly string[];
  debounceMs?: number;
  onEvent?: (event: SyncEvent) => void;
}

export type SyncEvent =
  | { kind: 'recorded'; path: string; change: string; versionId: string }
  | { kind: 'copied'; peer: string; records: number }
  | { kind: 'applied'; path: string; deleted: boolean; versionId: string; node: string; movedFrom?: string }
  | { kind: 'conflict'; path: string; copy: string; winnerVersionId: string; loserVersionId: string; winnerNode: string; loserNode: string }
  | { kind: 'refused'; path: string; reason: string }
  | { kind: 'peer-away'; peer: string; message: string; delayMs: number }
  | { kind: 'peer-failed'; peer: string; message: string }
  | { kind: 'error'; message: string };

export interface SyncStatus {
  nodeId: string;
  root: string;
  url: string;
  paths: number;
  conflicts: { path: string; copy: string; loserNode: string }[];
  waiting: string[];
  peersFailed: { peer: string; message: string }[];
}

export class SyncNode {
  private readonly abort = new AbortController();
  private readonly peerRuns: Promise<void>[] = [];
  private readonly peersByLog = new Map<string, string>();
  private readonly conflicts: SyncStatus['conflicts'] = [];
  private readonly peersFailed: SyncStatus['peersFailed'] = [];
  /** Peers that are away (a retry is pending): how to retry each now, and when that was last done. */
  private readonly away = new Map<string, { retryNow: () => void; wokenAtMs: number }>();
  private server: LogServer | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: SyncOptions,
    private readonly store: StoreApi,
    private readonly state: SyncState,
    private readonly watcher: AppendOnlyLogWatcher,
    private readonly applier: Applier,
    /** The `sync -f` helper the applier's batches share (undefined where it does not work). */
    private readonly syncer: FilesystemSync | undefined,
  ) {}

  get nodeId(): string {
    return this.state.nodeId;
  }

  get url(): string {
    return this.server!.url;
  }

  /** Opens the log, records what changed in the folder while the node was away, listens, and follows every peer. */
  static async start(options: SyncOptions): Promise<SyncNode> {
    const dir = await realpath(resolve(options.dir)).catch(() => {
      throw new NotFoundError(`the folder ${options.dir} does not exist`, { what: 'folder', id: options.dir });
    });
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`${options.dir} is not a folder`, { option: 'dir' });
    const logDir = resolve(options.logDir);
    await mkdir(logDir, { recursive: true });
    const store = await openStore(logDir, {});
    let syncer: FilesystemSync | undefined;
    try {
      await store.flush();
      const nodeId = await readLogId(logDir);
      if (nodeId === undefined) throw new AssertionError('a store that was opened for write has a first segment');
      const root = assignRootNames([dir], await knownRootsOf(store.entries({ kinds: ['watch'] }))).get(dir)!;
      const reservedTop = topNameInside(dir, await realpath(logDir));
      await Applier.sweepTemps(dir, reservedTop);
      const state = await SyncState.load(await store.catalog(), root, nodeId, logDir, dir);
      syncer = await FilesystemSync.start(dir);
      let watcher: AppendOnlyLogWatcher | undefined;
      const emit = (event: SyncEvent) => options.onEvent?.(event);
      const holder: { node?: SyncNode } = {};
      const applier = new Applier(dir, state, store, (path, present) => watcher?.noteApplied(root, path, present), {
        applied: (path, record, movedFrom) => emit({ kind: 'applied', path, deleted: record.kind === 'delete', versionId: record.versionId, node: record.origin?.log ?? nodeId, ...(movedFrom !== undefined ? { movedFrom } : {}) }),
        conflict: (info) => holder.node?.noteConflict(info),
        refused: (path, reason) => emit({ kind: 'refused', path, reason }),
        error: (error) => emit({ kind: 'error', message: error.message }),
      }, reservedTop, syncer);
      watcher = new AppendOnlyLogWatcher({
        watchPath: dir,
        store,
        exclude: options.exclude,
        debounceMs: options.debounceMs,
        sync: { latest: (r, path) => (r === root ? (state.shadowOf(path) ?? null) : undefined) },
      });
      const node = new SyncNode(options, store, state, watcher, applier, syncer);
      holder.node = node;
      watcher.on(WATCHER_EVENTS.VERSION, (change) => node.onRecorded(change));
      watcher.on(WATCHER_EVENTS.ERROR, (error) => emit({ kind: 'error', message: error.message }));
      await watcher.start();
      const named = watcher.getStats().roots[0]?.name;
      if (named !== root) throw new AssertionError(`the watcher named the folder ${named}, the sync ${root}`);
      await watcher.flush();
      for (const path of state.paths()) watcher.noteApplied(root, path, state.shadowOf(path)?.record.kind === 'version');
      applier.schedule(state.paths());
      node.server = await LogServer.start({ logDir, host: options.host, port: options.port ?? 0, tokens: options.tokens, tls: options.tls, onRequest: () => node.wakeAwayPeers() });
      node.followPeers();
      return node;
    } catch (error) {
      syncer?.close();
      await store.close().catch(() => {});
      throw error;
    }
  }

  status(): SyncStatus {
    return { nodeId: this.nodeId, root: this.state.root, url: this.url, paths: this.state.paths().length, conflicts: [...this.conflicts], waiting: this.applier.waitingPaths(), peersFailed: [...this.peersFailed] };
  }

  /** Stops following, records what is pending, finishes the applier, closes the server and the log. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.peerRuns);
    await this.watcher.stop();
    await this.applier.close();
    this.syncer?.close();
    await this.server?.close();
    await this.store.close();
  }

  private emit(event: SyncEvent): void {
    this.options.onEvent?.(event);
  }

  private noteConflict(info: { path: string; copy: string; winner: EntryRecord; loser: VersionRecord; loserNode: string; winnerNode: string }): void {
    this.conflicts.push({ path: info.path, copy: info.copy, loserNode: info.loserNode });
    this.emit({ kind: 'conflict', path: info.path, copy: info.copy, winnerVersionId: info.winner.versionId, loserVersionId: info.loser.versionId, winnerNode: info.winnerNode, loserNode: info.loserNode });
  }

  /** The watcher made a record durable: it is this node's own, and the folder holds it. */
  private async onRecorded(change: WatcherChange): Promise<void> {
    if (change.root !== this.state.root) return;
    const catalog = await this.store.catalog();
    const paths = [change.path];
    const own = (versionId: string | undefined, path: string) => {
      const stored = versionId === undefined ? undefined : catalog.findVersion(versionId);
      if (!stored || stored.record.path !== path) return;
      this.state.add(stored);
      this.state.setShadow(path, stored);
    };
    own(change.versionId, change.path);
    if (change.renamedFrom !== undefined) {
      // The tombstone half of a move is reported through its 'renamed' partner: it is the old path's newest record.
      own(catalog.latest(change.root, change.renamedFrom)?.record.versionId, change.renamedFrom);
      paths.push(change.renamedFrom);
    }
    this.emit({ kind: 'recorded', path: change.path, change: change.change, versionId: change.versionId });
    this.applier.schedule(paths);
  }

  private followPeers(): void {
    const highSeq = highSeqOf(this.state.records());
    for (const peer of this.options.peers) this.peerRuns.push(this.followPeer(peer, highSeq));
  }

  /**
   * A request came in: a peer may have just come up (a starting node follows every peer at once). Each peer that is
   * away is retried now instead of at the end of its backoff (up to 15 s), at most once per PEER_WAKE_INTERVAL_MS,
   * so a change made right after a peer starts is not held for a backoff that outlived the outage.
   */
  private wakeAwayPeers(): void {
    const nowMs = Date.now();
    for (const away of this.away.values()) {
      if (nowMs - away.wokenAtMs < PEER_WAKE_INTERVAL_MS) continue;
      away.wokenAtMs = nowMs;
      away.retryNow();
    }
  }

  private async followPeer(peer: string, highSeq: Map<string, number>): Promise<void> {
    const signal = this.abort.signal;
    const backoff = new Backoff();
    while (!signal.aborted) {
      // One attempt: ended by the node's stop, or by a wake (then tried again at once; a copy resumes where it stopped).
      const attempt = new AbortController();
      const end = () => attempt.abort();
      signal.addEventListener('abort', end, { once: true });
      const markAway = () => {
        if (!this.away.has(peer)) this.away.set(peer, { retryNow: end, wokenAtMs: 0 });
        else this.away.get(peer)!.retryNow = end;
      };
      const transport: RemoteLogOptions = {
        ...this.options.transport,
        onRetry: (error, delayMs) => {
          markAway();
          this.emit({ kind: 'peer-away', peer, message: error.message, delayMs });
        },
      };
      try {
        await copyFromPeer(peer, {
          store: this.store,
          state: this.state,
          highSeq,
          transport,
          claim: (url, logId) => {
            this.claim(url, logId);
            this.away.delete(peer); // connected: nothing to wake
            backoff.reset();
          },
          copied: (stored, from) => this.onCopied(stored, from),
        }, attempt.signal);
        if (signal.aborted || !attempt.signal.aborted) return; // it resolves only once stopped (or woken)
      } catch (error) {
        if (signal.aborted) return;
        if (attempt.signal.aborted) continue;
        const message = (error as Error).message;
        if (!isRetryable(error)) {
          this.peersFailed.push({ peer, message });
          this.emit({ kind: 'peer-failed', peer, message });
          return;
        }
        const delayMs = backoff.next();
        markAway();
        this.emit({ kind: 'peer-away', peer, message, delayMs });
        await sleep(delayMs, attempt.signal).catch(() => {});
      } finally {
        signal.removeEventListener('abort', end);
      }
    }
  }

  private claim(url: string, logId: string): void {
    if (logId === this.nodeId) refusePeer(url, logId, "this node's own log");
    const other = this.peersByLog.get(logId);
    if (other !== undefined && other !== url) refusePeer(url, logId, `also served by peer ${other}`);
    this.peersByLog.set(logId, url);
  }

  private onCopied(stored: StoredRecord<EntryRecord>[], peer: string): void {
    const paths = new Set<string>();
    for (const s of stored) if (this.state.add(s)) paths.add(s.record.path);
    this.emit({ kind: 'copied', peer, records: stored.length });
    this.applier.schedule(paths);
  }
}
