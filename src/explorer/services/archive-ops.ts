// Export and import for the explorer, over the archive part. Export reads through the explorer's read-only store.
// Import must append, so it opens the log as a writer for the length of the import: a running watcher holds the
// writer lock, and the import then fails with LockedError (shown to the user), never waits or writes around it.
import type { StoreApi } from '../../store/types.js';
import { displayName } from '../../util/display-name.js';
import type { ExportRequest } from '../model/index.js';
import { formatBytes } from '../model/index.js';
import type { ArchiveOps } from './run-effect.js';

/** The archive part's selection for each export kind: the version, the file's history, the tree at its time. */
export function selectionFor(request: ExportRequest):
  | { kind: 'version'; versionId: string }
  | { kind: 'path'; path: string }
  | { kind: 'at'; timeMs: number } {
  const r = request.version.record;
  switch (request.kind) {
    case 'version':
      return { kind: 'version', versionId: r.versionId };
    case 'history':
      return { kind: 'path', path: `${r.root}/${r.path}` };
    case 'tree':
      return { kind: 'at', timeMs: r.time };
  }
}

/**
 * `writer`: a store already open for writing on the same log (a running watcher's, in this process); import then
 * appends through it instead of opening the log as a second writer (which the lock would refuse).
 * `skipDamaged` (explore --skip-damaged): an export leaves out the versions whose content is not intact, and the
 * summary says how many and names the first, so an archive that lacks something never looks complete.
 */
export function createArchiveOps(store: StoreApi, logDir: string, writer?: StoreApi, skipDamaged = false): ArchiveOps {
  return {
    async exportArchive(request) {
      const { exportArchive } = await import('../../archive/index.js');
      const result = await exportArchive(store, selectionFor(request), request.archivePath, { skipDamaged });
      const count = `${result.versions} version${result.versions === 1 ? '' : 's'}`;
      const first = result.unreadable[0];
      const left = first ? `; left out ${result.unreadable.length} unreadable (damaged log): ${displayName(first.path)} @ ${first.versionId}${result.unreadable.length > 1 ? ', …' : ''}` : '';
      return `Exported ${count} (${formatBytes(result.contentBytes)}) to ${result.file} (${formatBytes(result.archiveBytes)})${left}`;
    },
    async importArchive(archivePath) {
      const [{ importArchive }, { openStore }] = await Promise.all([import('../../archive/index.js'), import('../../store/index.js')]);
      const target = writer ?? (await openStore(logDir));
      try {
        const result = await importArchive(target, archivePath);
        return `Imported ${archivePath}: ${result.records} records appended`;
      } finally {
        if (target !== writer) await target.close();
      }
    },
  };
}
