// Restore: the one way a recorded version is written back to disk. `synclog restore`, the explorer's restore and
// AppendOnlyLogWatcher.restoreVersion all call restoreEntry, so they share one set of rules (docs/receiver.md
// "Restore"):
// - mode: permission bits only; setuid and setgid (and a file's sticky bit) are stripped unless the caller asks
//   to keep them (keepSpecialBits), the same bits the receiver's Destination keeps;
// - path gate: a target built from the log (originalTarget) is validated by util/log-path and every existing folder
//   between the watch root and the target is lstat'ed, a symlink there refused; a target the user typed is theirs;
// - overwrite: whatever is at the target is refused unless `force` (the CLI's --force, the explorer's confirmed
//   overwrite), except a file whose content is a recorded version of the same path (nothing is lost); a directory is
//   never replaced by a file or link, nor a file or link by a directory;
// - durability: temp + fsync + rename + fsync of the folder (util/fs-durable), new parent folders fsynced too;
// - content: every chunk is checked against its id as it is read (store.readContent), and the whole file against
//   the version's content id and size before the rename, so a damaged version never reaches the target.
// Never follows a symlink at the target (it is replaced, not written through) and never writes anything but the
// target and its missing parent folders.
import { createReadStream } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, readlink, rename, rm, symlink, utimes } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CorruptionError, IoError, NotFoundError, UnsafePathError, UsageError, wrapIoError } from '../errors.js';
import { contentIdHex, findVersionById, type EntryRecord, type VersionRecord } from '../record/index.js';
import { ContentHasher, sameContentId, type StoreApi, type StoredRecord } from '../store/index.js';
import { fsyncDir, tempPathFor, writeFileAtomic } from '../util/fs-durable.js';
import { resolveInside } from '../util/log-path.js';
import { DIR_MODE_MASK, FILE_MODE_MASK } from './destination.js';

/** What is at a restore target now, as lstat describes it (a symlink is described, not followed). */
export interface ExistingTarget {
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
}

export interface RestoreOptions {
  /** Replace what is at the target (CLI --force; the explorer passes it once the user confirmed). */
  force?: boolean;
  /**
   * What the user confirmed is at the target (null: nothing). When given and the target changed since, nothing is
   * written: the user agreed to replace what they saw, not something else.
   */
  expected?: ExistingTarget | null;
  /** Keep setuid, setgid and sticky bits as recorded (default: stripped; see the module comment). */
  keepSpecialBits?: boolean;
  /** Called once the target is checked, just before anything is written (a watcher marks its own restore). */
  beforeWrite?: (target: string, record: VersionRecord) => void;
}

export interface RestoreResult {
  target: string;
  type: VersionRecord['type'];
  size: number;
  /** The mode bits set on the target. */
  mode: number;
  /** What the restore replaced, if anything. */
  replaced: ExistingTarget | undefined;
}

export type RestoreSource = Pick<StoreApi, 'readContent'>;

/** All mode bits, special ones included: what keepSpecialBits keeps. */
const ALL_MODE_BITS = 0o7777;

/** The mode a restored entry gets under the one mode rule. */
export function restoredMode(record: Pick<VersionRecord, 'type' | 'mode'>, keepSpecialBits = false): number {
  if (keepSpecialBits) return record.mode & ALL_MODE_BITS;
  return record.mode & (record.type === 'dir' ? DIR_MODE_MASK : FILE_MODE_MASK);
}

/** lstat of `target` as an ExistingTarget, or undefined when nothing is there. */
export async function describeTarget(target: string): Promise<ExistingTarget | undefined> {
  try {
    const stat = await lstat(target);
    const type = stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other';
    return { type, size: stat.size, mtimeMs: stat.mtimeMs };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw wrapIoError(error, 'inspect restore target', target);
  }
}

/**
 * The version's own place on disk: its path from the log joined onto its root's recorded location through the path
 * gate. Every folder that exists between the root and the target is lstat'ed: a symlink there (which would carry
 * the write somewhere else) is refused with UnsafePathError 'through-symlink'.
 */
export async function originalTarget(rootPath: string, logPath: string): Promise<string> {
  const target = resolveInside(rootPath, logPath);
  const base = resolve(rootPath);
  let current = base;
  for (const part of relative(base, dirname(target)).split(sep).filter((p) => p !== '')) {
    current = join(current, part);
    const there = await describeTarget(current);
    if (there === undefined) break; // missing from here down: restore creates real folders
    if (there.type === 'symlink') {
      throw new UnsafePathError(`cannot restore ${logPath} to its original place: ${current} is a symlink, and restore never writes through one`, {
        path: logPath,
        reason: 'through-symlink',
        fix: 'restore elsewhere with --to, or replace the link by a folder',
      });
    }
  }
  return target;
}

function sameTarget(a: ExistingTarget | undefined, b: ExistingTarget | null): boolean {
  if (!a || !b) return a === undefined && b === null;
  return a.type === b.type && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Writes `version` to `target` (absolute) under the rules above. `history` is the path's history in the log (for
 * the "content already recorded" exception to the overwrite rule). Resolves once the target and its folder entry
 * are durable.
 */
export async function restoreEntry(
  store: RestoreSource,
  version: StoredRecord<EntryRecord>,
  history: readonly StoredRecord<EntryRecord>[],
  target: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const record = version.record;
  if (record.kind === 'delete') {
    throw new UsageError(`version ${record.versionId} of ${record.root}/${record.path} is a deletion: pick an earlier version`, { versionId: record.versionId });
  }
  const existing = await describeTarget(target);
  if (options.expected !== undefined && !sameTarget(existing, options.expected)) {
    throw new IoError(`${target} changed since the restore was confirmed; nothing was written (look again and retry)`, { op: 'restore', path: target });
  }
  await checkOverwrite(record, history, target, existing, options.force === true);
  options.beforeWrite?.(target, record);
  const mode = restoredMode(record, options.keepSpecialBits);
  try {
    await makeParents(dirname(target));
    if (record.type === 'dir') await restoreDir(target, mode, record.mtimeMs);
    else if (record.type === 'symlink') await restoreSymlink(target, record);
    else await restoreFile(store, target, record, mode);
  } catch (error) {
    throw wrapIoError(error, 'restore', target);
  }
  return { target, type: record.type, size: record.type === 'file' ? record.size : 0, mode, replaced: existing };
}

export interface RestoreByIdRequest extends RestoreOptions {
  root: string;
  /** The path in the log (relative to its root). */
  path: string;
  /** A full version id or a unique prefix (record findVersionById's rules). */
  versionId: string;
  /** Where to write: the user's choice, taken as given (resolved against the working directory). */
  dest?: string;
  /** Where the root lives on disk; with no `dest`, the version goes back to its original path under it. */
  rootPath?: string;
}

/**
 * Finds version `versionId` of root/path and restores it (restoreEntry) to `dest`, or to its original place under
 * `rootPath`. The shared entry of `synclog restore` and AppendOnlyLogWatcher.restoreVersion.
 */
export async function restoreVersionById(
  store: RestoreSource & Pick<StoreApi, 'catalog'>,
  request: RestoreByIdRequest,
): Promise<RestoreResult & { version: StoredRecord<VersionRecord> }> {
  const { root, path } = request;
  const display = `${root}/${path}`;
  const history = (await store.catalog()).history(root, path);
  if (history.length === 0) throw new NotFoundError(`no history for ${display}`, { what: 'path', id: display });
  const version = findVersionById(history, request.versionId, display);
  let target: string;
  if (request.dest !== undefined) target = resolve(request.dest);
  else if (request.rootPath !== undefined) target = await originalTarget(request.rootPath, path);
  else throw new UsageError(`the log does not say where root ${root} lives: give a destination (--to DEST)`, { root });
  const result = await restoreEntry(store, version, history, target, request);
  return { ...result, version: version as StoredRecord<VersionRecord> };
}

async function checkOverwrite(
  record: VersionRecord,
  history: readonly StoredRecord<EntryRecord>[],
  target: string,
  existing: ExistingTarget | undefined,
  force: boolean,
): Promise<void> {
  if (!existing) return;
  const what = existing.type === 'dir' ? 'a directory' : existing.type === 'symlink' ? 'a symlink' : existing.type === 'file' ? 'a file' : 'a special file';
  // Kind changes that would need a whole tree removed (or a tree put where a file is) are never done by restore.
  if (existing.type === 'dir' && record.type !== 'dir') {
    throw new UsageError(`${target} is a directory; restore does not replace a directory by a ${record.type}`, { path: target, fix: 'restore elsewhere with --to' });
  }
  if (record.type === 'dir' && existing.type !== 'dir') {
    throw new UsageError(`${target} is ${what}; restore does not replace it by a directory`, { path: target, fix: 'restore elsewhere with --to' });
  }
  if (force) return;
  if (existing.type === 'file' && record.type === 'file' && (await recordedContent(history, target))) return;
  throw new UsageError(`${target} exists (${what}) and its content is not recorded in the log; restoring would lose it`, {
    path: target,
    fix: 'restore elsewhere with --to, or re-run with --force (in the explorer: confirm the overwrite)',
  });
}

/** True when the file at `target` holds the content of some version of the path (so replacing it loses nothing). */
async function recordedContent(history: readonly StoredRecord<EntryRecord>[], target: string): Promise<boolean> {
  const recorded = new Set<string>();
  for (const { record } of history) if (record.kind === 'version' && record.contentId) recorded.add(contentIdHex(record.contentId));
  if (recorded.size === 0) return false;
  const hasher = new ContentHasher();
  try {
    for await (const piece of createReadStream(target)) hasher.update(piece as Buffer);
  } catch (error) {
    throw wrapIoError(error, 'read restore target', target);
  }
  return recorded.has(contentIdHex(hasher.digest()));
}

/** Creates the missing folders above a target, each one's entry fsynced in its parent. */
async function makeParents(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; (await describeTarget(at)) === undefined && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  for (const folder of missing) {
    await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await fsyncDir(dirname(folder));
  }
}

/** A folder version restores the folder itself (mode, mtime); its contents are `checkout`'s business. */
async function restoreDir(target: string, mode: number, mtimeMs: number): Promise<void> {
  await mkdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await chmod(target, mode);
  await utimes(target, mtimeMs / 1000, mtimeMs / 1000);
  await fsyncDir(dirname(target));
}

/** A new link beside the target, renamed over it: the swap is atomic and never writes through a link. */
async function restoreSymlink(target: string, record: VersionRecord): Promise<void> {
  const temp = tempPathFor(target);
  await symlink(record.target ?? '', temp);
  try {
    await lutimes(temp, record.mtimeMs / 1000, record.mtimeMs / 1000);
    if ((await readlink(temp)) !== (record.target ?? '')) throw new IoError(`${temp} does not read back as the recorded link`, { op: 'restore', path: target });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(target));
}

async function restoreFile(store: RestoreSource, target: string, record: VersionRecord, mode: number): Promise<void> {
  const mtime = record.mtimeMs / 1000;
  await writeFileAtomic(target, checkedContent(store, record, target), { mode, beforeSync: (handle) => handle.utimes(mtime, mtime) });
}

/**
 * The version's bytes, each chunk checked by the store as it is read, and the whole checked against the version's
 * size and content id at the end: a mismatch throws before writeFileAtomic renames, so the target is untouched.
 */
async function* checkedContent(store: RestoreSource, record: VersionRecord, target: string): AsyncGenerator<Uint8Array> {
  const hasher = new ContentHasher();
  for await (const piece of store.readContent(record.chunks ?? [])) {
    hasher.update(piece);
    yield piece;
  }
  const whole = hasher.digest();
  if (hasher.size !== record.size || (record.contentId !== undefined && !sameContentId(whole, record.contentId))) {
    throw new CorruptionError(`version ${record.versionId} of ${record.root}/${record.path} does not read back as recorded (${hasher.size} of ${record.size} bytes, content id ${record.contentId ? 'differs' : 'missing'}); ${target} was not changed`, {
      file: target,
      reason: 'content-mismatch',
      versionId: record.versionId,
    });
  }
}
