// Runs the effects the model asks for (store reads, restore, export, import) and turns each outcome into messages
// for the model. The only place the explorer does I/O on the user's behalf; errors become an 'error' message with
// the error's own text, never a crash of the UI.
import { basename, resolve } from 'node:path';
import { CorruptionError, isSynclogError, LockedError, NotFoundError } from '../../errors.js';
import { EXPLORER_LIMITS } from '../../util/limits.js';
import {
  buildPreview,
  formatBytes,
  isText,
  unifiedDiff,
  type Effect,
  type ExplorerCatalog,
  type ExportRequest,
  type Message,
  type PathRef,
  type VersionItem,
} from '../model/index.js';
import { readVersionBytes, type ContentReader } from './read-version.js';
import { planRestore, restoreVersion } from './restore-version.js';
import type { RootPaths } from './root-paths.js';

/** Export and import, as the archive part provides them (adapted in archive-ops.ts). */
export interface ArchiveOps {
  /** Writes the archive; resolves with a one-line summary for the status bar. */
  exportArchive(request: ExportRequest): Promise<string>;
  /** Imports the archive into the log (needs the writer lock); resolves with a one-line summary. */
  importArchive(archivePath: string): Promise<string>;
}

export interface ExplorerDeps {
  store: ContentReader;
  catalog: ExplorerCatalog;
  rootPaths: RootPaths;
  archive: ArchiveOps;
  /** Where relative paths and suggestions start (the user's working directory). */
  cwd: string;
  /** The user's home directory, for typed paths starting with ~/. */
  home?: string;
  /** How many damaged regions the store has read past (opened with skipDamaged); absent: never any. */
  skippedRegions?: () => number;
}

/** Runs one effect ('quit' is the app's own business and yields nothing). Never rejects. */
export async function runEffect(effect: Effect, deps: ExplorerDeps): Promise<Message[]> {
  try {
    return await run(effect, deps);
  } catch (error) {
    return [{ type: 'error', text: errorText(error) }];
  }
}

export function errorText(error: unknown): string {
  // Damage first and short: a chunk id and its reasons would fill the status line before saying what happened.
  if (error instanceof CorruptionError) {
    const where = error.where.offset === undefined ? error.where.file : `${error.where.file}:${error.where.offset}`;
    return `Not readable, the log is damaged here (${error.where.reason} at ${where}); synclog verify lists what is affected.`;
  }
  if (isSynclogError(error)) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The history of one path as a message, with the ids of its versions a forget named. */
export function historyMessage(catalog: ExplorerCatalog, ref: PathRef, open: boolean): Extract<Message, { type: 'history' }> {
  const history = catalog.history(ref.root, ref.path);
  const forgotten = history.filter((item) => item.record.kind === 'version' && catalog.isForgotten(item.record.versionId)).map((item) => item.record.versionId);
  return { type: 'history', ref, history, forgotten, open };
}

async function run(effect: Effect, deps: ExplorerDeps): Promise<Message[]> {
  switch (effect.type) {
    case 'load-history':
      return [historyMessage(deps.catalog, effect.ref, effect.open)];
    case 'load-preview': {
      const item = effect.item;
      const read = item.record.kind === 'version' ? await readVersionBytes(deps.store, item as VersionItem, EXPLORER_LIMITS.previewBytesMax) : undefined;
      return [{ type: 'preview', item, preview: buildPreview(item, read?.bytes, read?.truncated ?? false) }];
    }
    case 'load-diff':
      return [await loadDiff(effect.before, effect.after, deps)];
    case 'plan-restore':
      try {
        return [{ type: 'restore-plan', plan: await planRestore(effect.version, effect.target, deps.rootPaths) }];
      } catch (error) {
        if (!(error instanceof NotFoundError) || error.details.what !== 'watch root') throw error;
        const suggestion = resolve(deps.cwd, basename(effect.version.record.path));
        return [{ type: 'ask-restore-target', version: effect.version, reason: `${error.message}: choose where to restore.`, suggestion }];
      }
    case 'restore': {
      await restoreVersion(deps.store, deps.catalog, effect.plan);
      const r = effect.plan.version.record;
      const size = r.type === 'file' ? ` (${formatBytes(r.size)})` : '';
      return [{ type: 'done', text: `Restored ${r.root}/${r.path} @ ${r.versionId}${size} to ${effect.plan.target}` }];
    }
    case 'export':
      return [{ type: 'done', text: await deps.archive.exportArchive(effect.request) }];
    case 'import': {
      const text = await deps.archive.importArchive(effect.archivePath).catch((error: unknown) => {
        if (!(error instanceof LockedError)) throw error;
        const pid = error.details.holderPid;
        throw new LockedError(`Import needs the writer lock, held by ${pid ? `pid ${pid}` : 'another process'} (a running watcher?): stop it and retry`, {
          lockPath: String(error.details.lockPath),
        });
      });
      await deps.catalog.refresh();
      return [{ type: 'done', text }, { type: 'paths', paths: deps.catalog.paths() }];
    }
    case 'quit':
      return [];
  }
}

async function loadDiff(before: VersionItem, after: VersionItem, deps: ExplorerDeps): Promise<Message> {
  const max = EXPLORER_LIMITS.diffBytesMax;
  for (const side of [before, after]) {
    if (side.record.size > max) {
      return { type: 'error', text: `${side.record.versionId} is ${formatBytes(side.record.size)}: larger than the ${formatBytes(max)} the diff view compares.` };
    }
  }
  const [a, b] = await Promise.all([readVersionBytes(deps.store, before, max), readVersionBytes(deps.store, after, max)]);
  if (!isText(a.bytes) || !isText(b.bytes)) return { type: 'error', text: 'One of the versions is binary: only text versions can be diffed (p previews).' };
  const decoder = new TextDecoder();
  const label = (v: VersionItem) => `${v.record.root}/${v.record.path}@${v.record.versionId}`;
  const lines = unifiedDiff({ label: label(before), text: decoder.decode(a.bytes) }, { label: label(after), text: decoder.decode(b.bytes) });
  const title = `diff ${before.record.root}/${before.record.path}: ${before.record.versionId} → ${after.record.versionId}`;
  return { type: 'diff', title, lines };
}
