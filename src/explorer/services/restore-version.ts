// The explorer's restore: plans (where to, what is there now) so the user can confirm, then hands the write to the
// receiver's restore service (src/receiver/restore.ts), the same one `synclog restore` and the API use: one mode
// rule, one path gate, one overwrite rule. The confirmation is the explorer's --force; the service re-checks that
// the target is still what the user saw and writes nothing if it changed.
import { NotFoundError } from '../../errors.js';
import { describeTarget, originalTarget, restoreEntry, type RestoreResult, type RestoreSource } from '../../receiver/index.js';
import type { ExplorerCatalog, RestorePlan, VersionItem } from '../model/index.js';
import type { RootPaths } from './root-paths.js';

export { describeTarget };

/**
 * Plans restoring `version` to `target` (a path the user typed: their choice), or to its original path when no
 * target is given (built from the log, so it goes through the path gate). Throws NotFoundError (what: 'watch root')
 * when the log does not say where the version's root lives.
 */
export async function planRestore(version: VersionItem, target: string | undefined, rootPaths: RootPaths): Promise<RestorePlan> {
  if (target !== undefined) return { version, target, existing: await describeTarget(target), original: false };
  const rootPath = await rootPaths.get(version.record.root);
  if (rootPath === undefined) {
    throw new NotFoundError(`the log has no watch record for root ${version.record.root}, so its location on disk is unknown`, {
      what: 'watch root',
      id: version.record.root,
    });
  }
  const resolved = await originalTarget(rootPath, version.record.path);
  return { version, target: resolved, existing: await describeTarget(resolved), original: true };
}

/** Writes the planned, confirmed version. Resolves once the target is durable (file and folder fsynced). */
export async function restoreVersion(store: RestoreSource, catalog: Pick<ExplorerCatalog, 'history'>, plan: RestorePlan): Promise<RestoreResult> {
  const { record } = plan.version;
  return restoreEntry(store, plan.version, catalog.history(record.root, record.path), plan.target, {
    force: true,
    expected: plan.existing ?? null,
  });
}
