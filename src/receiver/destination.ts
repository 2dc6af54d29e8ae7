// Destination: every change the receiver makes to the destination tree goes through here. Files and symlinks are
// written atomically (temp in the same directory, fsync or a batch's one `sync -f`, rename); directories the parents
// need are created; mode and mtime are restored (a folder stays owner-writable unless running as root: see the
// constructor). Directory fsyncs are batched: a changed directory is remembered and fsynced once by
// `syncDirs()`, which the receiver calls before it saves its cursor.
// Never does: follow a symlink inside the destination. Every existing parent component is lstat'ed before a write
// or a delete; a symlink there is refused (UnsafePathError 'through-symlink'), except inside the replay window after
// a crash, where the link may be the receiver's own from a later record and is replaced, never followed.
// Invariant: after syncDirs() resolves, every change made before the call is durable.
import { chmodSync, lstatSync, mkdirSync, rmSync, utimesSync, type Stats } from 'node:fs';
import { chmod, copyFile, constants as fsConstants, lstat, lutimes, open, readdir, rename, rm, symlink, utimes } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { wrapIoError } from '../errors.js';
import { fsyncDir, tempPathFor, TEMP_MARKER } from '../util/fs-durable.js';
import { RECEIVER_LIMITS } from '../util/limits.js';
import { writeFileDurable, type FileContent } from './atomic-file.js';
import type { DurableBatch } from './durable-batch.js';
import { refuseRecord } from './destination-path.js';
import type { RecordWhere } from './types.js';

/** What a version carries for the disk: permission bits and modification time. */
export interface EntryMeta {
  mode: number;
  mtimeMs: number;
}

/** How a write is done: `replay` is true for records that may already have been applied before a crash. */
export interface WriteContext {
  where: RecordWhere;
  replay: boolean;
}

/**
 * Permission bits restored: rwx for all, plus sticky on a folder (it only restricts who may delete inside it);
 * setuid/setgid from a log are never recreated (a log's modes are data from whoever wrote it). restore.ts uses the
 * same masks.
 */
export const FILE_MODE_MASK = 0o777;
export const DIR_MODE_MASK = 0o1777;
/** Owner write and search: what the receiver itself needs in a directory to create, rename and remove inside it. */
const OWNER_WRITE_SEARCH = 0o300;
/** Root ignores permission bits; anyone else cannot write into a directory whose mode forbids it. */
const RUNNING_AS_ROOT = process.getuid?.() === 0;
const TEMP_NAME = new RegExp(`^\\..*${TEMP_MARKER.replace(/[.-]/g, '\\$&')}[0-9a-f]{12}$`);

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    return missingOrThrow(error, path);
  }
}

/**
 * Directory steps run synchronously on the main thread: each is one quick metadata call, and as a thread-pool
 * round trip a folder's version waited behind the pool's fsyncs (a cursor save) while every file record inside the
 * folder waited for it: measured 2.2 s of a 10,000-file catch-up stalled (docs/receiver.md "Performance").
 */
function lstatSyncOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    return missingOrThrow(error, path);
  }
}

function missingOrThrow(error: unknown, path: string): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw wrapIoError(error, 'lstat', path);
}

function toSeconds(ms: number): number {
  return ms / 1000;
}

export class Destination {
  /** Directories verified (or made) as real directories this session: their lstat is not repeated. */
  private readonly knownDirs = new Set<string>();
  private dirtyDirs = new Set<string>();
  /** Replay window: directories swept of temp files left by a crash (each once, before anything is written). */
  private readonly sweeps = new Map<string, Promise<void>>();

  /**
   * `root` must be the destination's real path (no symlink above what the receiver checks). With a `batch`, file
   * writes share one `sync -f` per batch instead of one fsync each, and syncDirs() is one `sync -f` too.
   */
  constructor(
    readonly root: string,
    private readonly batch?: DurableBatch,
    /**
     * Keep every directory owner-writable and searchable (mode | 0o300), whatever its version says: a receiver that
     * is not root could otherwise never write into a folder the source keeps read-only (EACCES: the mirror stops).
     * Default: when not running as root. Checkout sets the exact modes at the end instead (`finishDir`).
     */
    private readonly keepDirsWritable = !RUNNING_AS_ROOT,
  ) {}

  /** The mode a directory gets while the destination is being written. */
  private workingDirMode(mode: number): number {
    const exact = mode & DIR_MODE_MASK;
    return this.keepDirsWritable ? exact | OWNER_WRITE_SEARCH : exact;
  }

  /**
   * Writes a file from bytes or a stream of chunks; replaces whatever is at `target`. `data` is a function so the
   * rare retry (a directory was in the way of the rename) can read the content again.
   */
  async writeFile(target: string, data: () => FileContent | Promise<FileContent>, meta: EntryMeta, ctx: WriteContext): Promise<void> {
    await this.prepare(target, ctx);
    const batch = this.batch;
    const durability = batch ? { syncEachNow: () => batch.live, stage: (bytes: number) => batch.stage(ctx.where.seq, bytes) } : undefined;
    const write = async () => writeFileDurable(target, await data(), meta.mode & FILE_MODE_MASK, toSeconds(meta.mtimeMs), durability);
    // No lstat first (one syscall less per file): a rename over a directory fails, and only then is it removed.
    await this.retryOverDirectory(target, write);
    this.dirtyDirs.add(dirname(target));
  }

  private async retryOverDirectory(target: string, attempt: () => Promise<void>): Promise<void> {
    try {
      await attempt();
    } catch (error) {
      const errno = (error as { details?: { errno?: string } }).details?.errno ?? (error as NodeJS.ErrnoException).code;
      if (errno !== 'EISDIR' && errno !== 'ENOTEMPTY' && errno !== 'EEXIST' && errno !== 'ENOTDIR') throw error;
      const stat = await lstatOrUndefined(target);
      if (!stat?.isDirectory()) throw error;
      await this.removeTree(target);
      await attempt();
    }
  }

  private async removeTree(target: string): Promise<void> {
    try {
      await rm(target, { recursive: true, force: true });
    } catch (error) {
      throw wrapIoError(error, 'remove directory', target);
    }
    this.forget(target);
    this.dirtyDirs.add(dirname(target));
  }

  /** Copies `source` (a file this receiver wrote) to `target` atomically: the all-versions latest view. */
  async copyFile(source: string, target: string, meta: EntryMeta, ctx: WriteContext): Promise<void> {
    await this.prepare(target, ctx);
    await this.retryOverDirectory(target, () => this.copyOnce(source, target, meta));
    this.dirtyDirs.add(dirname(target));
  }

  private async copyOnce(source: string, target: string, meta: EntryMeta): Promise<void> {
    const temp = tempPathFor(target);
    try {
      await copyFile(source, temp, fsConstants.COPYFILE_FICLONE);
      const handle = await open(temp, 'r+');
      try {
        await handle.chmod(meta.mode & FILE_MODE_MASK);
        await handle.utimes(toSeconds(meta.mtimeMs), toSeconds(meta.mtimeMs));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw wrapIoError(error, 'copy file', target);
    }
  }

  /** Makes `target` a directory with this mode and mtime (replacing a file or link there). */
  async makeDir(target: string, meta: EntryMeta, ctx: WriteContext): Promise<void> {
    await this.ensureParents(target, ctx);
    const stat = lstatSyncOrUndefined(target);
    try {
      if (!stat?.isDirectory()) {
        if (stat) rmSync(target, { force: true });
        mkdirSync(target);
        this.dirtyDirs.add(dirname(target));
      }
      chmodSync(target, this.workingDirMode(meta.mode));
      utimesSync(target, toSeconds(meta.mtimeMs), toSeconds(meta.mtimeMs));
    } catch (error) {
      throw wrapIoError(error, 'make directory', target);
    }
    this.knownDirs.add(target);
  }

  /**
   * The last step for a directory when nothing more will be written into it (checkout): its exact mode (the working
   * mode may have had owner write added) and its mtime again (children written after it changed it). Missing or
   * non-directories are left alone.
   */
  async finishDir(target: string, mode: number, mtimeMs: number): Promise<void> {
    const stat = await lstatOrUndefined(target);
    if (!stat?.isDirectory()) return;
    await utimes(target, toSeconds(mtimeMs), toSeconds(mtimeMs));
    await chmod(target, mode & DIR_MODE_MASK);
  }

  /**
   * Makes `target` a symlink to `linkTarget` atomically. The caller has checked that the target points inside the
   * destination; the link itself is never followed here.
   */
  async makeSymlink(target: string, linkTarget: string, meta: EntryMeta, ctx: WriteContext): Promise<void> {
    await this.prepare(target, ctx);
    await this.retryOverDirectory(target, () => this.symlinkOnce(target, linkTarget, meta));
    this.dirtyDirs.add(dirname(target));
  }

  private async symlinkOnce(target: string, linkTarget: string, meta: EntryMeta): Promise<void> {
    const temp = tempPathFor(target);
    try {
      await symlink(linkTarget, temp);
      await lutimes(temp, toSeconds(meta.mtimeMs), toSeconds(meta.mtimeMs));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw wrapIoError(error, 'make symlink', target);
    }
  }

  /**
   * Renames `source` to `target` (a file, link or whole folder: one atomic rename, content, inode, mode and mtime
   * kept). The target's parents are made as for a write; the source's must be real folders. Durable once
   * syncDirs() has run.
   */
  async move(source: string, target: string, ctx: WriteContext): Promise<void> {
    if (!(await this.parentsExist(source, ctx))) throw wrapIoError(Object.assign(new Error('a parent is missing'), { code: 'ENOENT' }), 'rename', source);
    await this.prepare(target, ctx);
    try {
      await rename(source, target);
    } catch (error) {
      throw wrapIoError(error, 'rename', source);
    }
    this.forget(source);
    this.dirtyDirs.add(dirname(source));
    this.dirtyDirs.add(dirname(target));
  }

  /** Removes whatever is at `target` (a whole directory tree included). Returns false when nothing was there. */
  async remove(target: string, ctx: WriteContext): Promise<boolean> {
    if (!(await this.parentsExist(target, ctx))) return false;
    const stat = await lstatOrUndefined(target);
    if (!stat) return false;
    try {
      await rm(target, { recursive: stat.isDirectory(), force: true });
    } catch (error) {
      throw wrapIoError(error, 'remove', target);
    }
    if (stat.isDirectory()) this.forget(target);
    this.dirtyDirs.add(dirname(target));
    return true;
  }

  /**
   * fsyncs every directory changed since the last call (batched, when there are many: one `sync -f` of the
   * destination's filesystem covers them all). After it resolves, those changes are durable.
   */
  async syncDirs(): Promise<void> {
    const dirs = [...this.dirtyDirs];
    this.dirtyDirs = new Set();
    // Many folders: one `sync -f` (a process spawn, ~15 ms of the main thread here) beats that many fsyncs.
    if (this.batch && dirs.length > RECEIVER_LIMITS.dirSyncConcurrency) return this.batch.syncFilesystem();
    for (let i = 0; i < dirs.length; i += RECEIVER_LIMITS.dirSyncConcurrency) {
      await Promise.all(dirs.slice(i, i + RECEIVER_LIMITS.dirSyncConcurrency).map((dir) => fsyncDirIfPresent(dir)));
    }
  }

  /** Parents, and in the replay window a sweep of temp files a killed run left in the target's folder. */
  private async prepare(target: string, ctx: WriteContext): Promise<void> {
    await this.ensureParents(target, ctx);
    const dir = dirname(target);
    if (ctx.replay && !this.sweeps.has(dir)) this.sweeps.set(dir, sweepTemps(dir));
    await this.sweeps.get(dir);
  }

  /** Verifies (or creates) every directory between the root and `target`'s parent. */
  private async ensureParents(target: string, ctx: WriteContext): Promise<void> {
    const parent = dirname(target);
    if (parent === this.root || this.knownDirs.has(parent)) return;
    let current = this.root;
    for (const part of relative(this.root, parent).split(sep)) {
      current = join(current, part);
      if (this.knownDirs.has(current)) continue;
      await this.ensureDir(current, ctx);
      this.knownDirs.add(current);
    }
  }

  private async ensureDir(dir: string, ctx: WriteContext): Promise<void> {
    const stat = lstatSyncOrUndefined(dir);
    if (stat?.isDirectory()) return;
    if (stat?.isSymbolicLink() && !ctx.replay) this.refuseLink(dir, ctx);
    try {
      // A file (or, in the replay window, the receiver's own later link) where a directory belongs: the log says
      // this is a directory at this point in its history, so the mirror follows the log.
      if (stat) rmSync(dir, { force: true });
      mkdirSync(dir);
    } catch (error) {
      const again = (error as NodeJS.ErrnoException).code === 'EEXIST' ? lstatSyncOrUndefined(dir) : undefined;
      if (again?.isDirectory()) return; // made by a concurrent write into the same new directory
      if (again?.isSymbolicLink()) this.refuseLink(dir, ctx);
      throw wrapIoError(error, 'make directory', dir);
    }
    this.dirtyDirs.add(dirname(dir));
  }

  /** For deletes: true when every parent is a real directory; a link in the way is refused outside the replay. */
  private async parentsExist(target: string, ctx: WriteContext): Promise<boolean> {
    const parent = dirname(target);
    if (parent === this.root || this.knownDirs.has(parent)) return true;
    let current = this.root;
    for (const part of relative(this.root, parent).split(sep)) {
      current = join(current, part);
      if (this.knownDirs.has(current)) continue;
      const stat = lstatSyncOrUndefined(current);
      if (stat?.isSymbolicLink() && !ctx.replay) this.refuseLink(current, ctx);
      if (!stat?.isDirectory()) return false;
      this.knownDirs.add(current);
    }
    return true;
  }

  private refuseLink(dir: string, ctx: WriteContext): never {
    const rel = relative(this.root, dir).split(sep).join('/');
    return refuseRecord(ctx.where, rel, 'through-symlink', 'goes through a symlink in the destination');
  }

  /** Drops a removed directory and everything below it from the known directories. */
  private forget(target: string): void {
    this.knownDirs.delete(target);
    const prefix = target + sep;
    for (const dir of this.knownDirs) if (dir.startsWith(prefix)) this.knownDirs.delete(dir);
  }
}

async function fsyncDirIfPresent(dir: string): Promise<void> {
  try {
    await fsyncDir(dir);
  } catch (error) {
    // A directory removed after it was changed has nothing left to make durable (its parent is dirty too).
    const errno = (error as { details?: { errno?: string } }).details?.errno;
    if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw error;
  }
}

/** Removes temp files a killed writer left in `dir` (names made by tempPathFor). */
export async function sweepTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((name) => TEMP_NAME.test(name)).map((name) => rm(join(dir, name), { force: true })));
}
