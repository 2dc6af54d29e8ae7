// Restore: writes one version back to disk, at its original path (its watch root's recorded location) or at a
// path the user chose. Planning and writing are separate so that the user confirms what will be overwritten, and
// writing re-checks the target: if it changed since the confirmation, nothing is written.
// Never writes anything but the target (and its missing parent directories); never follows a symlink at the target
// (it is replaced, not written through); never restores setuid/setgid bits.
import { lstat, mkdir, chmod, lutimes, rename, rm, symlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IoError, NotFoundError, wrapIoError } from '../../errors.js';
import { fsyncDir, tempPathFor, writeFileAtomic } from '../../util/fs-durable.js';
import { resolveInside } from '../../util/log-path.js';
import type { StoreApi } from '../../store/types.js';
import type { ExistingTarget, RestorePlan, VersionItem } from '../model/index.js';
import type { RootPaths } from './root-paths.js';

/** Mode bits restore sets: permissions and sticky, never setuid/setgid from a log. */
const RESTORE_MODE_MASK = 0o1777;

/** What is at `target` now (lstat: a symlink is described, not followed), or undefined. */
export async function describeTarget(target: string): Promise<ExistingTarget | undefined> {
  try {
    const stat = await lstat(target);
    const type = stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other';
    return { type, size: stat.size, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw wrapIoError(error, 'inspect restore target', target);
  }
}

/**
 * Plans restoring `version` to `target`, or to its original path when no target is given. Throws NotFoundError
 * (what: 'watch root') when the log does not say where the version's root lives.
 */
export async function planRestore(version: VersionItem, target: string | undefined, rootPaths: RootPaths): Promise<RestorePlan> {
  let resolved = target;
  let original = false;
  if (resolved === undefined) {
    const rootPath = await rootPaths.get(version.record.root);
    if (rootPath === undefined) {
      throw new NotFoundError(`the log has no watch record for root ${version.record.root}, so its location on disk is unknown`, {
        what: 'watch root',
        id: version.record.root,
      });
    }
    // The path gate: a version's path from the log is never trusted to stay inside its root.
    resolved = resolveInside(rootPath, version.record.path);
    original = true;
  }
  return { version, target: resolved, existing: await describeTarget(resolved), original };
}

function sameTarget(a: ExistingTarget | undefined, b: ExistingTarget | undefined): boolean {
  if (!a || !b) return a === b;
  return a.type === b.type && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export type ContentSource = Pick<StoreApi, 'readContent'>;

/** Writes the planned version. Resolves once the target is durable (file fsynced, directory fsynced). */
export async function restoreVersion(store: ContentSource, plan: RestorePlan): Promise<void> {
  const { record } = plan.version;
  const now = await describeTarget(plan.target);
  if (!sameTarget(now, plan.existing)) {
    throw new IoError(`${plan.target} changed since the restore was confirmed; nothing was written (look again and retry)`, {
      op: 'restore',
      path: plan.target,
    });
  }
  const refuseDir = (what: string) =>
    new IoError(`${plan.target} is ${what}; restore does not replace it`, { op: 'restore', path: plan.target, errno: 'EISDIR' });
  const mode = record.mode & RESTORE_MODE_MASK;
  const mtime = record.mtimeMs / 1000;
  try {
    await mkdir(dirname(plan.target), { recursive: true });
    if (record.type === 'dir') {
      if (now && now.type !== 'dir') throw refuseDir(`a ${now.type}, not a directory`);
      await mkdir(plan.target, { recursive: true });
      await chmod(plan.target, mode);
      await utimes(plan.target, mtime, mtime);
      await fsyncDir(dirname(plan.target));
      return;
    }
    if (now?.type === 'dir') throw refuseDir('a directory');
    if (record.type === 'symlink') {
      // A new link beside the target, renamed over it: the swap is atomic and never writes through a link.
      const temp = tempPathFor(plan.target);
      await symlink(record.target ?? '', temp);
      try {
        await lutimes(temp, mtime, mtime);
        await rename(temp, plan.target);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      await fsyncDir(dirname(plan.target));
      return;
    }
    await writeFileAtomic(plan.target, store.readContent(record.chunks ?? []), {
      mode,
      beforeSync: (handle) => handle.utimes(mtime, mtime),
    });
  } catch (error) {
    throw wrapIoError(error, 'restore', plan.target);
  }
  const after = await describeTarget(plan.target);
  if (after?.type !== 'file' || after.size !== record.size) {
    throw new IoError(`restored ${plan.target} but it reads back as ${after ? `${after.size} bytes` : 'missing'}, not ${record.size}`, {
      op: 'restore',
      path: plan.target,
    });
  }
}
