// Per-root glue between chokidar and the pipeline: turning chokidar paths into log paths, naming watch failures
// with the fix a user needs, and the live-path index (what the log has live per root) that scans and vanished
// directories consult. Never decides what to record: it only says which paths to look at.
import { join, relative } from 'node:path';
import { UnsafePathError, WatchError } from '../errors.js';
import { WATCH_LIMITS } from '../util/limits.js';
import { toLogPath } from '../util/log-path.js';
import type { CatalogApi } from '../store/types.js';
import { hexOf } from './batch-records.js';
import { keyOf, type ChangePipeline, type PipelineRoot } from './change-pipeline.js';
import type { DirRescanner } from './dir-rescan.js';
import type { WatcherChange } from './events.js';

/**
 * What the log has live, per root and per directory, kept current from the watcher's own commits; and per file
 * content, so a new file can be checked against the live files it may have been moved from (ChangePipeline).
 */
export class LiveIndex {
  /** root → live path → a prefix of its content id ('' for directories, links, and paths a sync applied). */
  private readonly byRoot = new Map<string, Map<string, string>>();
  /** `${root}/${dir}` → live paths directly in that directory ('' is the root). */
  private readonly byDir = new Map<string, Set<string>>();
  /**
   * `${root}\0${content prefix}` → live file paths with that content: one path (the usual case) or several. A prefix
   * keeps the index small; a match is only a candidate, which the caller checks against the record itself.
   */
  private readonly byContent = new Map<string, string | string[]>();

  load(catalog: Pick<CatalogApi, 'paths'>): void {
    for (const p of catalog.paths()) {
      if (p.deleted) continue;
      const r = p.latest?.record;
      this.add(p.root, p.path, r?.kind === 'version' && r.type === 'file' ? hexOf(r.contentId) : undefined);
    }
  }

  apply(change: Pick<WatcherChange, 'root' | 'path' | 'change' | 'renamedFrom'> & { type?: WatcherChange['type']; contentId?: string }): void {
    if (change.renamedFrom !== undefined) this.remove(change.root, change.renamedFrom);
    this.remove(change.root, change.path);
    if (change.change !== 'deleted') this.add(change.root, change.path, change.type === 'file' ? change.contentId : undefined);
  }

  has(root: string, path: string): boolean {
    return this.set(root).has(path);
  }

  paths(root: string): Iterable<string> {
    return [...this.set(root).keys()];
  }

  children(root: string, dir: string): string[] {
    return [...(this.byDir.get(`${root}/${dir}`) ?? [])];
  }

  /** Every live path below `dir`, walking the per-directory index (cost: the size of that subtree). */
  below(root: string, dir: string): string[] {
    const found: string[] = [];
    const stack = [dir];
    while (stack.length > 0) {
      for (const child of this.children(root, stack.pop()!)) {
        found.push(child);
        stack.push(child);
      }
    }
    return found;
  }

  /** Up to `max` live file paths whose content id may be `contentIdHex` (candidates: check each against its record). */
  filesWithContent(root: string, contentIdHex: string, max: number): string[] {
    const found = this.byContent.get(contentKey(root, contentIdHex));
    return found === undefined ? [] : typeof found === 'string' ? [found] : found.slice(0, max);
  }

  private add(root: string, path: string, contentIdHex: string | undefined): void {
    const prefix = contentIdHex === undefined ? '' : contentIdHex.slice(0, CONTENT_PREFIX_CHARS);
    this.set(root).set(path, prefix);
    const key = `${root}/${parentOf(path)}`;
    let children = this.byDir.get(key);
    if (!children) this.byDir.set(key, (children = new Set()));
    children.add(path);
    if (prefix === '') return;
    const ck = contentKey(root, prefix);
    const had = this.byContent.get(ck);
    this.byContent.set(ck, had === undefined ? path : typeof had === 'string' ? [had, path] : [...had, path]);
  }

  private remove(root: string, path: string): void {
    const set = this.set(root);
    const prefix = set.get(path);
    if (prefix === undefined) return;
    set.delete(path);
    const key = `${root}/${parentOf(path)}`;
    const children = this.byDir.get(key);
    children?.delete(path);
    if (children?.size === 0) this.byDir.delete(key);
    if (prefix === '') return;
    const ck = contentKey(root, prefix);
    const had = this.byContent.get(ck);
    const rest = typeof had === 'string' ? [] : (had ?? []).filter((p) => p !== path);
    if (rest.length === 0) this.byContent.delete(ck);
    else this.byContent.set(ck, rest.length === 1 ? rest[0]! : rest);
  }

  private set(root: string): Map<string, string> {
    let set = this.byRoot.get(root);
    if (!set) this.byRoot.set(root, (set = new Map()));
    return set;
  }
}

/** Hex digits of a content id the content index keys on (64 bits: a false candidate is rare and checked anyway). */
const CONTENT_PREFIX_CHARS = 16;

function contentKey(root: string, contentIdHex: string): string {
  return `${root}\0${contentIdHex.slice(0, CONTENT_PREFIX_CHARS)}`;
}

/** The directory holding `path` ('' for a top-level entry). */
export function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

/** A chokidar error as a WatchError carrying the fix (watch limits, file handles, polling). */
export function watchErrorFor(root: PipelineRoot, error: NodeJS.ErrnoException, polling: boolean): WatchError {
  const errno = error.code;
  const base = { root: root.name, errno };
  if (errno === 'ENOSPC') {
    return new WatchError(`out of inotify watches while watching ${root.path}: the directories past the limit are not watched live`, {
      ...base,
      reason: 'watch-limit',
      fix: 'raise the limit: sudo sysctl fs.inotify.max_user_watches=1048576 (persist it in /etc/sysctl.d/), or use --poll',
    }, { cause: error });
  }
  if (errno === 'EMFILE' || errno === 'ENFILE') {
    return new WatchError(`out of file handles or inotify instances while watching ${root.path}`, {
      ...base,
      reason: 'handle-limit',
      fix: 'raise `ulimit -n` (and sudo sysctl fs.inotify.max_user_instances=1024), or use --poll',
    }, { cause: error });
  }
  return new WatchError(`watching ${root.path} failed: ${error.message}`, {
    ...base,
    reason: 'watch-failed',
    ...(polling ? {} : { fix: 'on network or container mounts, use --poll' }),
  }, { cause: error });
}

/** Returns the chokidar event handler for one root: every event just marks its path for a look. */
export function rootChangeHandler(
  root: PipelineRoot,
  pipeline: ChangePipeline,
  rescanner: DirRescanner,
): (event: string, absolutePath: string) => void {
  return (event, absolutePath) => {
    if (root.failed) return;
    if (absolutePath === root.path) {
      // The root itself went away: the pipeline's root check reports it and stops recording it.
      if (event === 'unlinkDir') pipeline.enqueueRootCheck(root.name);
      return;
    }
    let path: string;
    try {
      path = toLogPath(root.path, absolutePath);
    } catch (error) {
      // A name the log cannot hold (a backslash, over the length limits): say so once, record the rest.
      if (error instanceof UnsafePathError) pipeline.refuseOnce(keyOf(root.name, relative(root.path, absolutePath)), error);
      return;
    }
    if (pipeline.pendingCount >= WATCH_LIMITS.pendingPathsMax) {
      // Bounded memory: stop tracking paths one by one; a rescan of the root finds them all later.
      root.rescanNeeded = true;
      return;
    }
    pipeline.touch(root.name, path);
    // Activity in a directory (or a new one) means: list it again once quiet, in case events were lost.
    rescanner.touch(root.name, parentOf(path));
    if (event === 'addDir') rescanner.touchNew(root.name, path);
  };
}

/**
 * Returns chokidar's 'raw' listener for one root: a directory's fs.watch names the child that changed (created,
 * written, renamed, deleted, attributes), and that name is looked at like any other event. An event without a name
 * (the kernel's event queue overflowed) re-lists the directory instead.
 */
export function rawNameHandler(
  root: PipelineRoot,
  onChange: (event: string, absolutePath: string) => void,
  rescanner: DirRescanner,
): (event: string, name: unknown, details: unknown) => void {
  return (_event, name, details) => {
    if (root.failed) return;
    const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (typeof watchedPath !== 'string') return; // a polling event: chokidar's own events cover those
    const dir = relative(root.path, watchedPath);
    if (dir.startsWith('..')) return;
    rescanner.watchAlive(root.name, dir);
    if (typeof name !== 'string' || name.length === 0) {
      rescanner.touch(root.name, dir);
      return;
    }
    const absolutePath = join(watchedPath, name);
    // A file excluded by name costs nothing further (excluded directories are not watched at all).
    if (root.matcher.excludes(absolutePath, false)) return;
    onChange('raw', absolutePath);
  };
}
