// `latest` mode: one version or delete record → the destination's newest state at DEST/<root>/<path>.
// Every step sets the path to what the record says, whatever is there now, so applying a record twice (after a
// crash) or over a later state (the replay window) ends in the same tree once the records after it are applied.
// Never does: create a symlink pointing outside the destination (it is skipped with a warning and counted).
import { displayPath, type ChunkRef, type EntryRecord, type VersionRecord } from '../record/index.js';
import type { StoredRecord } from '../store/types.js';
import { describeWhere, type DestinationPaths } from './destination-path.js';
import type { Destination, EntryMeta, WriteContext } from './destination.js';
import type { FileContent } from './atomic-file.js';
import type { AppliedChange, ChangeAction, ContentTarget, ReceiverWarning, RecordWhere } from './types.js';

export interface ApplyContext {
  dest: Destination;
  paths: DestinationPaths;
  /** A file version's content, for Destination.writeFile (called again if the write is retried). */
  content(chunks: readonly ChunkRef[], target?: ContentTarget): () => FileContent | Promise<FileContent>;
  warn(warning: ReceiverWarning): void;
}

export function whereOf(stored: StoredRecord): RecordWhere {
  return { seq: stored.seq, segment: stored.segment, offset: stored.offset };
}

export function metaOf(record: VersionRecord): EntryMeta {
  return { mode: record.mode, mtimeMs: record.mtimeMs };
}

/** The change event for a record (before `action` and `bytes` are known). */
export function changeOf(stored: StoredRecord<EntryRecord>, action: ChangeAction, bytes: number): AppliedChange {
  const record = stored.record;
  const change: AppliedChange = {
    ...whereOf(stored),
    action,
    kind: record.kind,
    versionId: record.versionId,
    root: record.root,
    path: record.path,
    display: displayPath(record),
    type: record.type,
    change: record.kind === 'delete' ? 'deleted' : record.event,
    bytes,
    time: new Date(record.time).toISOString(),
  };
  if (record.kind === 'version') {
    if (record.renamedFrom) change.renamedFrom = record.renamedFrom;
  } else if (record.renamedTo) {
    change.renamedTo = record.renamedTo;
  }
  return change;
}

/** Applies one version to `target` (an absolute path the gate produced). Returns the action and bytes written. */
export async function applyVersionAt(
  ctx: ApplyContext,
  stored: StoredRecord<VersionRecord>,
  target: string,
  write: WriteContext,
): Promise<{ action: ChangeAction; bytes: number }> {
  const record = stored.record;
  switch (record.type) {
    case 'file':
      await ctx.dest.writeFile(target, ctx.content(record.chunks ?? [], { root: record.root, path: record.path }), metaOf(record), write);
      return { action: 'write', bytes: record.size };
    case 'dir':
      await ctx.dest.makeDir(target, metaOf(record), write);
      return { action: 'mkdir', bytes: 0 };
    case 'symlink': {
      const linkTarget = record.target ?? '';
      if (!ctx.paths.symlinkTargetInside(target, linkTarget)) {
        ctx.warn({
          ...write.where,
          reason: 'symlink-outside',
          display: displayPath(record),
          message: `${describeWhere(write.where)}: symlink ${displayPath(record)} -> ${JSON.stringify(linkTarget)} points outside the destination; not recreated`,
        });
        // The old entry at this path is gone in the source: do not leave a stale file or link in its place.
        await ctx.dest.remove(target, write);
        return { action: 'skip', bytes: 0 };
      }
      await ctx.dest.makeSymlink(target, linkTarget, metaOf(record), write);
      return { action: 'symlink', bytes: 0 };
    }
  }
}

/** What applying a record did (the session turns it into an AppliedChange only when someone listens). */
export interface Applied {
  action: ChangeAction;
  bytes: number;
  /** all-versions: where the version (or the deletion marker) was kept, relative to the destination. */
  versionFile?: string;
}

export async function applyLatest(ctx: ApplyContext, stored: StoredRecord<EntryRecord>, replay: boolean): Promise<Applied> {
  const where = whereOf(stored);
  const record = stored.record;
  const target = ctx.paths.entryPath(record.root, record.path, where);
  const write: WriteContext = { where, replay };
  if (record.kind === 'delete') {
    await ctx.dest.remove(target, write);
    return { action: 'delete', bytes: 0 };
  }
  return applyVersionAt(ctx, stored as StoredRecord<VersionRecord>, target, write);
}
