// The sync applier (docs/sync.md): brings each path of the folder to the winner of its records, and writes a losing
// concurrent version this node made beside it as a conflict copy (once; its watcher then records the copy like any
// new file). Sets the shadow before each write, so the watcher finds exactly what the shadow says and records
// nothing (no echo). Writes through the receiver's Destination (temp file, fsync, rename; parents checked as real
// folders) at paths from the one path gate, never outside the folder nor into the log's own folder inside it.
// Never overwrites a path whose disk state is not the shadow's (the user changed it and the watcher has not
// recorded it yet): such a path waits and is looked at again.
import { chmod, lstat, readdir, readFile, readlink, rm, rmdir, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UnsafePathError } from '../errors.js';
import type { EntryRecord, VersionRecord } from '../record/index.js';
import { Destination, DestinationPaths, DurableBatch, type FilesystemSync, type WriteContext } from '../receiver/index.js';
import { hashContent, sameContentId, type StoreApi, type StoredRecord } from '../store/index.js';
import { TEMP_MARKER } from '../util/fs-durable.js';
import { mapLimit } from '../watcher/index.js';
import { SYNC_LIMITS } from '../util/limits.js';
import { resolveInside, validateLogPath } from '../util/log-path.js';
import { conflictCopyPath, shortNodeId } from './conflict-name.js';
import type { SyncState } from './sync-state.js';
import { sameState, type SyncEntry } from './version-graph.js';

/** Retry delay of paths that wait for the watcher (the user changed them) or for a folder to empty. */
const DEFERRED_RETRY_MS = 500;
/** Files the applier writes at once, each fsynced alone (no `sync -f` here, or a batch of a few). */
const FILE_WRITES_IN_FLIGHT = 8;
/** Files written at once when they share one `sync -f` of the folder's filesystem (each still temp + rename). */
const FILE_WRITES_IN_FLIGHT_BATCHED = 128;
/** A batch with fewer files than this fsyncs each alone: a lone fsync beats a syncfs of a filesystem others use. */
const FILES_FOR_SHARED_SYNC = 8;
/** A staged file waits at most this long for the other writes in flight to stage before their shared sync starts. */
const SHARED_SYNC_WAIT_MS = 20;
/** Failed writes of one path in a row before the failure is reported. */
const WRITE_FAILURES_SAID = 3;
/**
 * How long a folder move waits for the moves of what is inside it (the writer may record them in a later batch)
 * before the folder is made instead and each entry follows by its own move.
 */
const FOLDER_MOVE_WAIT_MS = 5_000;
/** A file larger than this is not hashed to compare with the shadow: only its size and mtime are. */
const HASH_COMPARE_BYTES_MAX = 64 * 1024 * 1024;

export interface ApplierEvents {
  /** `movedFrom`: the path was renamed here from that one (nothing was written). */
  applied(path: string, record: EntryRecord, movedFrom?: string): void;
  conflict(info: { path: string; copy: string; winner: EntryRecord; loser: VersionRecord; loserNode: string; winnerNode: string }): void;
  refused(path: string, reason: string): void;
  error(error: Error): void;
}

export class Applier {
  private readonly queue = new Set<string>();
  private readonly deferred = new Set<string>();
  private readonly waiting = new Set<string>();
  private readonly copiesWritten = new Set<string>();
  private readonly conflictsSaid = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Folders whose move waits for the records of what is inside: new path → since when, old path, the move's version. */
  private readonly folderMovesWaiting = new Map<string, { sinceMs: number; from: string; versionId: string }>();
  /** Made again per batch: it remembers folders it checked, and the user may remove them between batches. */
  private destination: Destination;
  private readonly gate: DestinationPaths;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** With a `sync -f` helper: the files of a batch share its syncs (the receiver's DurableBatch). */
  private readonly batch: DurableBatch | undefined;
  private writesActive = 0;
  /** A write failed since the last sweep of temp files (see drain). */
  private strayTempsPossible = false;
  private writesStaged = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly folder: string,
    private readonly state: SyncState,
    private readonly store: StoreApi,
    private readonly noteApplied: (path: string, present: boolean) => void,
    private readonly events: ApplierEvents,
    /** A top-level name inside the folder that is not the folder's (the log's own directory). */
    private readonly reservedTop: string | undefined,
    /** syncfs of the folder's filesystem; undefined where `sync -f` does not work (each file is fsynced). */
    syncer?: FilesystemSync,
  ) {
    const hooks = { park: () => this.onStaged(), unpark: () => void this.writesStaged-- };
    this.batch = syncer ? new DurableBatch(hooks, () => syncer.sync()) : undefined;
    if (this.batch) this.batch.trickle = true; // until a drain has many files to write
    this.destination = new Destination(folder, this.batch);
    this.gate = new DestinationPaths(folder);
  }

  /**
   * A file's temp is written and waits for a sync: once every write in flight waits (or after SHARED_SYNC_WAIT_MS,
   * for a write outside the counted ones), one `sync -f` makes them all durable, then each is renamed.
   */
  private onStaged(): void {
    this.writesStaged++;
    if (this.writesStaged >= this.writesActive) return this.flushNow();
    this.flushTimer ??= setTimeout(() => this.flushNow(), SHARED_SYNC_WAIT_MS);
  }

  private flushNow(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    void this.batch?.flush();
  }

  /**
   * Removes the temp files a killed node left in the folder (each write is temp file + rename; the watcher never
   * records them). Run at start, before anything is written, and after a drain in which a write failed.
   */
  static async sweepTemps(folder: string, reservedTop: string | undefined): Promise<number> {
    let removed = 0;
    for (const name of await readdir(folder, { recursive: true })) {
      if (!basename(name).includes(TEMP_MARKER)) continue;
      if (reservedTop !== undefined && (name === reservedTop || name.startsWith(`${reservedTop}/`))) continue;
      await rm(join(folder, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Paths whose records changed (or whose disk did): looked at soon, in one batch. */
  schedule(paths: Iterable<string>): void {
    if (this.closed) return;
    // A record of a moved path can change what its new path holds (an edit carried by the move).
    for (const path of paths) for (const p of this.state.withMoveTargets(path)) this.queue.add(p);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      if (this.queue.size > 0) this.schedule([]);
    });
  }

  /** Resolves once nothing is queued (deferred paths may remain). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Paths waiting for a version they are based on (docs/sync.md). */
  waitingPaths(): string[] {
    return [...this.waiting].sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
    this.flushNow();
    await this.state.save();
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.closed) {
      this.destination = new Destination(this.folder, this.batch);
      const batch = [...this.queue].slice(0, SYNC_LIMITS.applyBatchPathsMax);
      for (const path of batch) this.queue.delete(path);
      // Folders before what is in them; removals deepest first, after every write (a folder empties first).
      const plans = batch.map((path) => ({ path, resolution: this.state.resolve(path) }));
      const writes = plans.filter((p) => p.resolution.winner?.record.kind === 'version').sort((a, b) => (a.path < b.path ? -1 : 1));
      const removals = plans.filter((p) => p.resolution.winner?.record.kind === 'delete').sort((a, b) => (a.path < b.path ? 1 : -1));
      const isFile = (p: (typeof plans)[number]) => p.resolution.winner?.record.kind === 'version' && p.resolution.winner.record.type === 'file';
      const one = async ({ path, resolution }: (typeof plans)[number]) => {
        try {
          if (resolution.waitingFor !== undefined) {
            this.waiting.add(path);
            return;
          }
          this.waiting.delete(path);
          if (!resolution.winner) return;
          for (const loser of resolution.conflicts) await this.keepConflict(path, loser, resolution.winner);
          await this.applyWinner(path, resolution.winner);
        } catch (error) {
          if (error instanceof UnsafePathError) this.events.refused(path, error.message);
          else this.failed(path, error);
        }
      };
      // Folders and links in path order, then files several at once (their fsyncs overlap; no file is another's
      // parent), then removals deepest first.
      for (const plan of writes.filter((p) => !isFile(p))) await one(plan);
      const files = writes.filter(isFile);
      // A few files: each fsyncs alone (the batch is "trickle"); many: they share syncs, so many more in flight.
      const shared = this.batch !== undefined && files.length >= FILES_FOR_SHARED_SYNC;
      if (this.batch) this.batch.trickle = !shared;
      await mapLimit(files, shared ? FILE_WRITES_IN_FLIGHT_BATCHED : FILE_WRITES_IN_FLIGHT, async (plan) => {
        this.writesActive++;
        try {
          await one(plan);
        } finally {
          this.writesActive--;
          if (this.writesStaged > 0 && this.writesStaged >= this.writesActive) this.flushNow();
        }
      });
      if (this.batch) this.batch.trickle = true; // deletes, folders and conflict copies outside a file batch
      for (const plan of [...removals, ...plans.filter((p) => !p.resolution.winner)]) await one(plan);
      await this.destination.syncDirs();
    }
    // A write that failed may have left its temp file where no one looks: the user moved the folder it was being
    // written in, the temp went along, and the cleanup at the old path found nothing (the watcher never records
    // temps, so it would stay in the user's folder until the next start). No write is in flight here.
    if (this.strayTempsPossible && !this.closed) {
      this.strayTempsPossible = false;
      await Applier.sweepTemps(this.folder, this.reservedTop).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') this.strayTempsPossible = true; // a folder went while it was listed: next drain
        else this.events.error(error);
      });
    }
    // Once per drain, not per batch: the shadow is derived data (a stale one is corrected at start).
    await this.state.save();
    if (this.deferred.size > 0 && !this.timer && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const again = [...this.deferred];
        this.deferred.clear();
        this.schedule(again);
      }, DEFERRED_RETRY_MS);
    }
  }

  /**
   * A write that failed is tried again (a folder the user just moved away is the usual cause); it is said once it
   * has failed WRITE_FAILURES_SAID times in a row, so a lasting problem (permissions) is not silent.
   */
  private failed(path: string, error: unknown): void {
    this.strayTempsPossible = true;
    const count = (this.failures.get(path) ?? 0) + 1;
    this.failures.set(path, count);
    if (!this.deferred.has(path) || count === WRITE_FAILURES_SAID) this.events.error(error instanceof Error ? error : new Error(String(error)));
  }

  /** The absolute path of a record's path, through the one gate; the log's own folder inside is refused. */
  private target(path: string, where: StoredRecord): string {
    validateLogPath(path);
    if (this.reservedTop !== undefined && (path === this.reservedTop || path.startsWith(`${this.reservedTop}/`))) {
      throw new UnsafePathError(`record #${where.seq} refused: path ${JSON.stringify(path)} is inside the log's own folder`, { path, reason: 'reserved' });
    }
    return resolveInside(this.folder, path);
  }

  private async applyWinner(path: string, winner: SyncEntry): Promise<void> {
    const current = this.state.shadowOf(path);
    if (current?.record.versionId === winner.record.versionId) return;
    const stored = this.state.storedOf(winner);
    const abs = this.target(path, stored);
    if (!(await this.diskHolds(abs, current?.record))) {
      this.deferred.add(path); // the user's change is not recorded yet: the watcher's record will make it a head
      return;
    }
    const record = winner.record;
    if (this.underWaitingFolderMove(path)) {
      this.deferred.add(path);
      return;
    }
    if (record.kind === 'version' && (await this.tryMove(path, abs, stored as StoredRecord<VersionRecord>))) return;
    if (record.kind === 'delete') {
      const info = await lstat(abs).catch(() => undefined);
      if (info?.isDirectory() && (await readdir(abs)).length > 0) {
        this.deferred.add(path); // what is inside goes first (or was added since: then it stays)
        return;
      }
      this.state.setShadow(path, stored);
      if (info?.isDirectory()) await rmdir(abs);
      else await this.destination.remove(abs, this.ctx(stored));
      this.noteApplied(path, false);
      this.events.applied(path, record);
      return;
    }
    if (record.type === 'symlink' && !this.gate.symlinkTargetInside(abs, record.target ?? '')) {
      this.events.refused(path, `symlink target ${JSON.stringify(record.target)} points outside the folder`);
      return;
    }
    this.state.setShadow(path, stored);
    try {
      await this.write(abs, record, stored);
    } catch (error) {
      // Nothing was written (temp file + rename): the folder still holds what it held; look again soon.
      if (current) this.state.setShadow(path, current);
      else this.state.forgetShadow(path);
      this.deferred.add(path);
      throw error;
    }
    this.failures.delete(path);
    this.noteApplied(path, true);
    this.events.applied(path, record);
  }

  /**
   * Applies a version that a move brought to `path` as a rename of the old path, when the old path goes away (its
   * winner is a delete) and the folder holds there exactly what the version holds (docs/sync.md "Renames and
   * folder moves"). A folder moves whole, with what is in it, when every entry in it has a record at its new path
   * that holds the same. Returns false (nothing done) when the move does not apply: the version is then written.
   */
  private async tryMove(path: string, abs: string, stored: StoredRecord<VersionRecord>): Promise<boolean> {
    const record = stored.record;
    const held = this.state.record(record.versionId)!.record;
    const from = held.path !== path ? held.path : record.event === 'renamed' ? record.renamedFrom : undefined;
    if (from === undefined || from === path || path.startsWith(`${from}/`)) return false;
    const fromWinner = this.state.resolve(from).winner;
    const fromShadow = this.state.shadowOf(from);
    if (fromWinner?.record.kind !== 'delete' || fromShadow?.record.kind !== 'version' || !sameState(fromShadow.record, record)) return false;
    const fromAbs = this.target(from, fromShadow);
    if (!(await this.diskHolds(fromAbs, fromShadow.record))) return false;
    const inside = record.type === 'dir' ? this.movedWithFolder(from, path) : [];
    if (inside === undefined) {
      // The wait is this move's (a later move to the same path waits afresh) and only this call ends it: the check
      // of the paths under it ran first in each round and, clearing an expired wait there, made every retry here
      // start a new one, so a folder move whose entries never all arrived waited for ever (found by sync-random).
      const waiting = this.folderMovesWaiting.get(path);
      const sinceMs = waiting?.versionId === record.versionId ? waiting.sinceMs : Date.now();
      if (Date.now() - sinceMs >= FOLDER_MOVE_WAIT_MS) {
        this.folderMovesWaiting.delete(path);
        return false;
      }
      this.folderMovesWaiting.set(path, { sinceMs, from, versionId: record.versionId });
      this.deferred.add(path);
      return true;
    }
    this.folderMovesWaiting.delete(path);
    const before = new Map([path, from, ...inside.flatMap((m) => [m.from, m.to])].map((p) => [p, this.state.shadowOf(p)]));
    // Shadows first (as for a write): the watcher's events for the rename find what the shadow says.
    this.state.setShadow(path, stored);
    this.state.setShadow(from, this.state.storedOf(fromWinner));
    for (const m of inside) this.shadowAfterMove(m.from, m.to, m.holds);
    try {
      await this.destination.move(fromAbs, abs, this.ctx(stored));
    } catch {
      for (const [p, s] of before) (s ? this.state.setShadow(p, s) : this.state.forgetShadow(p));
      return false; // written instead (the old path may come back when its delete is applied)
    }
    if (record.type !== 'symlink') await this.keepMeta(abs, record);
    const applied: [string, boolean][] = [[from, false], [path, true], ...inside.flatMap((m): [string, boolean][] => [[m.from, false], [m.to, true]])];
    for (const [p, present] of applied) this.noteApplied(p, present);
    this.failures.delete(path);
    this.events.applied(path, record, from);
    this.events.applied(from, fromWinner.record);
    // What moved inside the folder is looked at again: a carried edit there may still need writing.
    if (inside.length > 0) this.schedule(inside.flatMap((m) => [m.from, m.to]));
    return true;
  }

  /** What is under a folder move that waits (at either end) waits with it: removed or written, it could not move. */
  private underWaitingFolderMove(path: string): boolean {
    const nowMs = Date.now();
    for (const [to, { sinceMs, from }] of this.folderMovesWaiting) {
      // An expired wait holds nothing back (the folder's own winner may have changed since, and then no move call
      // comes to clear it); it is left for tryMove to end, which then makes the folder instead.
      if (nowMs - sinceMs < FOLDER_MOVE_WAIT_MS && (path.startsWith(`${to}/`) || path.startsWith(`${from}/`))) return true;
    }
    return false;
  }

  /**
   * The entries inside folder `from` and where each lands under `to`, with the record that will say what it holds
   * there; undefined when one of them has no such record (its move has not arrived: the folder is then made, and
   * each entry follows by its own move).
   */
  private movedWithFolder(from: string, to: string): { from: string; to: string; holds: StoredRecord<EntryRecord> }[] | undefined {
    const out: { from: string; to: string; holds: StoredRecord<EntryRecord> }[] = [];
    for (const p of this.state.paths()) {
      if (!p.startsWith(`${from}/`)) continue;
      const shadow = this.state.shadowOf(p);
      if (shadow?.record.kind !== 'version') continue;
      const q = `${to}${p.slice(from.length)}`;
      const resolution = this.state.resolve(q);
      const candidates = [resolution.winner, ...this.state.entriesOf(q).reverse()];
      const same = candidates.find((e) => e !== undefined && e.record.kind === 'version' && sameState(e.record, shadow.record));
      if (!same) return undefined;
      out.push({ from: p, to: q, holds: this.state.storedOf(same) });
    }
    return out;
  }

  private shadowAfterMove(from: string, to: string, holds: StoredRecord<EntryRecord>): void {
    this.state.setShadow(to, holds);
    const fromWinner = this.state.resolve(from).winner;
    if (fromWinner?.record.kind === 'delete') this.state.setShadow(from, this.state.storedOf(fromWinner));
    else this.state.forgetShadow(from); // the folder no longer holds it; its winner is written back there
  }

  /** After a rename the entry keeps its mode and mtime; a carried edit's may differ only when the move was of another. */
  private async keepMeta(abs: string, record: VersionRecord): Promise<void> {
    const info = await lstat(abs);
    const mask = record.type === 'dir' ? 0o1777 : 0o777;
    if ((info.mode & mask) !== (record.mode & mask)) await chmod(abs, record.mode & mask);
    if (record.type === 'file' && Math.abs(info.mtimeMs - record.mtimeMs) >= 1) await utimes(abs, new Date(), new Date(record.mtimeMs));
  }

  private async write(abs: string, record: VersionRecord, stored: StoredRecord): Promise<void> {
    const meta = { mode: record.mode, mtimeMs: record.mtimeMs };
    if (record.type === 'dir') return this.destination.makeDir(abs, meta, this.ctx(stored));
    if (record.type === 'symlink') return this.destination.makeSymlink(abs, record.target!, meta, this.ctx(stored));
    const chunks = record.chunks ?? [];
    await this.destination.writeFile(abs, () => this.store.readContent(chunks), meta, this.ctx(stored));
  }

  /** This node's own losing head is written beside the path, once (docs/sync.md "Who writes the conflict copy"). */
  private async keepConflict(path: string, loser: SyncEntry, winner: SyncEntry): Promise<void> {
    const record = loser.record;
    if (record.kind !== 'version') return;
    const copy = conflictCopyPath(path, record.mtimeMs, shortNodeId(loser.node));
    if (!this.conflictsSaid.has(record.versionId)) {
      this.conflictsSaid.add(record.versionId);
      this.events.conflict({ path, copy, winner: winner.record, loser: record, loserNode: loser.node, winnerNode: winner.node });
    }
    if (loser.node !== this.state.nodeId || record.type !== 'file') return;
    if (this.copiesWritten.has(copy) || this.state.hasPath(copy)) return;
    const stored = this.state.storedOf(loser);
    const abs = this.target(copy, stored);
    if (await lstat(abs).then(() => true, () => false)) return;
    this.copiesWritten.add(copy);
    await this.write(abs, record, stored);
  }

  /** True when the disk at `abs` is what `record` left there (absent for a delete or no record). */
  private async diskHolds(abs: string, record: EntryRecord | undefined): Promise<boolean> {
    const info = await lstat(abs).catch(() => undefined);
    if (!record || record.kind === 'delete') return info === undefined;
    if (!info) return false;
    if (record.type === 'dir') return info.isDirectory();
    if (record.type === 'symlink') return info.isSymbolicLink() && (await readlink(abs)) === record.target;
    if (!info.isFile() || info.size !== record.size) return false;
    if (Math.abs(info.mtimeMs - record.mtimeMs) < 1) return true;
    if (info.size > HASH_COMPARE_BYTES_MAX || !record.contentId) return false;
    return sameContentId(hashContent(await readFile(abs)), record.contentId);
  }

  private ctx(stored: StoredRecord): WriteContext {
    return { where: { seq: stored.seq, segment: stored.segment, offset: stored.offset }, replay: false };
  }
}
