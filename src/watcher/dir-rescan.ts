// Safety net for lost events: a directory that had activity is listed again once it goes quiet (or every
// settleWaitMsMax while it stays busy), and any name that differs from what the log has live is handed to the
// pipeline. It closes two real gaps: files created in a new directory before its watch exists (chokidar lists the
// directory, then watches it — writes in between raise no event), and inotify queue overflow in big bursts.
// Only names are compared (no lstat): content changes still come from events or scans. Never records anything
// itself; touching a path that did not change costs one lstat in the pipeline and records nothing.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineRoot } from './change-pipeline.js';
import { WATCH_LIMITS } from '../util/limits.js';
import { SettleQueue } from './settle-queue.js';

export interface DirRescanDeps {
  roots: ReadonlyMap<string, PipelineRoot>;
  isLive(root: string, path: string): boolean;
  /** True while the pipeline already has the path in hand (touching it again would only delay it). */
  isPending(root: string, path: string): boolean;
  liveChildren(root: string, dir: string): string[];
  touch(root: string, path: string): void;
  /**
   * With the initial scan off, entries not changed since this time (ctime before it) were there before the watcher
   * and are left alone: the user asked not to record the past. Undefined: every unknown name is looked at.
   */
  changedSinceMs?: number;
}

export class DirRescanner {
  private readonly queue: SettleQueue<string>;
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /**
   * New directories whose own watch has not yet reported an event (so may not exist yet), with the listings they may
   * still get: a listing made before the watch is in place misses files written between the two, so a new directory
   * is listed again (after each debounce) until its watch proves alive or the listings run out.
   */
  private readonly newDirs = new Map<string, number>();
  /**
   * Big directories (at least bigDirEntriesMin names at their last listing) and when they may be listed again: a
   * listing costs O(entries), and a folder of 20,000 files with one file edited now and then would otherwise be listed
   * after every edit. Touches before then wait in `deferred` (one timer each). New directories are never held back.
   */
  private readonly bigDirs = new Map<string, number>();
  private readonly deferred = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly deps: DirRescanDeps,
    timing: { debounceMs: number; settleWaitMsMax: number },
  ) {
    this.queue = new SettleQueue(timing.debounceMs, timing.settleWaitMsMax);
  }

  /** Activity in `dir` ('' for the root): list it again once it is quiet (a big one: not before its next turn). */
  touch(root: string, dir: string): void {
    if (this.closed) return;
    const key = `${root}/${dir}`;
    const notBefore = this.bigDirs.get(key);
    const now = Date.now();
    if (notBefore !== undefined && now < notBefore && !this.newDirs.has(key)) {
      if (!this.deferred.has(key)) {
        const timer = setTimeout(() => {
          this.deferred.delete(key);
          this.bigDirs.delete(key);
          this.touch(root, dir);
        }, notBefore - now);
        timer.unref();
        this.deferred.set(key, timer);
      }
      return;
    }
    this.queue.touch(key, now, 0);
    this.schedule();
  }

  /**
   * A new directory: files written into it before its watch existed raise no event. It is listed as soon as its
   * watch proves to be in place (its first event, see watchAlive), and again once it is quiet, so those files are
   * found without waiting for a busy directory to go quiet (that wait was the write→durable p99).
   */
  touchNew(root: string, dir: string): void {
    if (this.closed) return;
    this.newDirs.set(`${root}/${dir}`, WATCH_LIMITS.newDirListingsMax);
    this.touch(root, dir);
  }

  /** An event came from `dir`'s own watch: the first one after it was new lists it now. */
  watchAlive(root: string, dir: string): void {
    if (this.newDirs.size === 0) return;
    const key = `${root}/${dir}`;
    if (this.newDirs.delete(key)) void this.rescan(key);
  }

  /** Resolves once no directory waits to be listed and no listing is running. */
  idle(): Promise<void> {
    if (this.queue.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Lists everything pending now, ignoring the debounce and the turns of big directories (stop, flush before stop). */
  async drain(): Promise<void> {
    const held = [...this.deferred.keys()];
    for (const timer of this.deferred.values()) clearTimeout(timer);
    this.deferred.clear();
    const keys = new Set([...this.queue.takeAll(Number.MAX_SAFE_INTEGER), ...held]);
    await Promise.all([...keys].map((key) => this.rescan(key)));
    await this.idle();
  }

  close(): void {
    this.closed = true;
    for (const timer of this.deferred.values()) clearTimeout(timer);
    this.deferred.clear();
    this.newDirs.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const dueMs = this.queue.nextDueMs();
    if (dueMs === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const key of this.queue.takeDue(Date.now(), Number.MAX_SAFE_INTEGER)) void this.rescan(key);
      this.schedule();
    }, Math.max(0, dueMs - Date.now()));
  }

  private async rescan(key: string): Promise<void> {
    this.running += 1;
    try {
      const at = key.indexOf('/');
      const rootName = key.slice(0, at);
      const dir = key.slice(at + 1);
      const root = this.deps.roots.get(rootName);
      if (!root || root.failed) return;
      let names: string[];
      try {
        names = await readdir(dir === '' ? root.path : join(root.path, ...dir.split('/')));
      } catch {
        names = []; // gone: every live child below is looked at (and found gone)
      }
      if (names.length >= WATCH_LIMITS.bigDirEntriesMin) this.bigDirs.set(key, Date.now() + WATCH_LIMITS.bigDirRelistMs);
      else this.bigDirs.delete(key);
      const onDisk = new Set<string>();
      for (const name of names) {
        const path = dir === '' ? name : `${dir}/${name}`;
        onDisk.add(path);
        if (root.matcher.excludesRelative(path)) continue;
        if (this.deps.isLive(rootName, path) || this.deps.isPending(rootName, path)) continue;
        if (this.deps.changedSinceMs !== undefined && !(await changedSince(join(root.path, ...path.split('/')), this.deps.changedSinceMs))) continue;
        this.deps.touch(rootName, path);
      }
      for (const path of this.deps.liveChildren(rootName, dir)) {
        if (!onDisk.has(path) && !this.deps.isPending(rootName, path)) this.deps.touch(rootName, path);
      }
    } finally {
      const left = this.newDirs.get(key);
      if (left !== undefined) {
        if (left > 1) {
          this.newDirs.set(key, left - 1);
          const at = key.indexOf('/');
          this.touch(key.slice(0, at), key.slice(at + 1));
        } else {
          this.newDirs.delete(key);
        }
      }
      this.running -= 1;
      if (this.running === 0 && this.queue.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}

async function changedSince(path: string, sinceMs: number): Promise<boolean> {
  try {
    // A rename updates ctime too, so a file moved in after the start still counts as a change.
    return (await lstat(path)).ctimeMs >= sinceMs;
  } catch {
    return false; // gone again: nothing to record
  }
}
