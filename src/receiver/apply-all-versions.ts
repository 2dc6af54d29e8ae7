// `all-versions` mode: every version and every deletion is kept side by side, and the newest state is mirrored too.
//   DEST/<root>/<path>                                   the latest state (exactly as in `latest` mode)
//   DEST/.versions/<root>/<path>/<ISO time>_<versionId><ext>   one file per file version (ISO time with '-' for ':')
//   DEST/.versions/<root>/<path>/<ISO time>_<versionId>.symlink   a symlink version: a text file holding the target
//   DEST/.versions/<root>/<path>/<ISO time>_<versionId>.deleted   a deletion (or rename away): an empty marker
//   DEST/.synclog-receiver/manifest.jsonl                one JSON line per applied version/delete, in seq order
// Directory versions have no file (their history is in the manifest). Names sort by time within a folder, and the
// version id makes each name unique, so applying a record again rewrites the same file.
// Never does: erase history (deletes remove the latest view only) or create a link inside .versions.
import { extname } from 'node:path';
import { contentIdHex, type EntryRecord, type VersionRecord } from '../record/index.js';
import type { StoredRecord } from '../store/types.js';
import { applyVersionAt, metaOf, whereOf, type ApplyContext, type Applied } from './apply-latest.js';
import { VERSIONS_DIR } from './destination-path.js';
import type { WriteContext } from './destination.js';
import type { ManifestLine } from './manifest.js';

const EXTENSION_PATTERN = /^\.[A-Za-z0-9_-]{1,16}$/;
const MARKER_MODE = 0o644;

/** '2026-11-21T10:00:00.123Z' → '2026-11-21T10-00-00.123Z': sortable, and legal on every filesystem. */
export function fileSafeIsoTime(timeMs: number): string {
  return new Date(timeMs).toISOString().replace(/:/g, '-');
}

/** The name of a record's entry in its history folder; undefined for directory versions (nothing to keep). */
export function versionFileName(record: EntryRecord): string | undefined {
  const stem = `${fileSafeIsoTime(record.time)}_${record.versionId}`;
  if (record.kind === 'delete') return `${stem}.deleted`;
  if (record.type === 'dir') return undefined;
  if (record.type === 'symlink') return `${stem}.symlink`;
  const ext = extname(record.path.slice(record.path.lastIndexOf('/') + 1));
  return EXTENSION_PATTERN.test(ext) ? `${stem}${ext}` : stem;
}

export function manifestLineOf(stored: StoredRecord<EntryRecord>, versionFile: string | undefined): ManifestLine {
  const record = stored.record;
  const line: ManifestLine = {
    seq: stored.seq,
    versionId: record.versionId,
    kind: record.kind,
    event: record.kind === 'delete' ? 'deleted' : record.event,
    time: new Date(record.time).toISOString(),
    root: record.root,
    path: record.path,
    type: record.type,
  };
  if (versionFile) line.file = versionFile;
  if (record.kind === 'delete') {
    if (record.renamedTo) line.renamedTo = record.renamedTo;
    return line;
  }
  line.size = record.size;
  line.mode = record.mode;
  line.mtime = new Date(record.mtimeMs).toISOString();
  if (record.contentId) line.contentId = contentIdHex(record.contentId);
  if (record.target !== undefined) line.target = record.target;
  if (record.renamedFrom) line.renamedFrom = record.renamedFrom;
  line.latest = `${record.root}/${record.path}`;
  return line;
}

/** Applies one record in all-versions mode; returns what it did and its manifest line. */
export async function applyAllVersions(
  ctx: ApplyContext,
  stored: StoredRecord<EntryRecord>,
  replay: boolean,
): Promise<{ applied: Applied; line: ManifestLine }> {
  const where = whereOf(stored);
  const record = stored.record;
  const write: WriteContext = { where, replay };
  const latest = ctx.paths.entryPath(record.root, record.path, where);
  const name = versionFileName(record);
  const keep = name === undefined ? undefined : ctx.paths.versionPath(record.root, record.path, name, where);
  const versionFile = name === undefined ? undefined : `${VERSIONS_DIR}/${record.root}/${record.path}/${name}`;
  let applied: Applied;
  if (record.kind === 'delete') {
    await ctx.dest.writeFile(keep!, () => new Uint8Array(0), { mode: MARKER_MODE, mtimeMs: record.time }, write);
    await ctx.dest.remove(latest, write);
    applied = { action: 'delete', bytes: 0 };
  } else if (record.type === 'file') {
    await ctx.dest.writeFile(keep!, ctx.content(record.chunks ?? []), metaOf(record), write);
    await ctx.dest.copyFile(keep!, latest, metaOf(record), write);
    applied = { action: 'write', bytes: record.size };
  } else {
    if (record.type === 'symlink') {
      const text = new TextEncoder().encode(record.target ?? '');
      await ctx.dest.writeFile(keep!, () => text, { mode: MARKER_MODE, mtimeMs: record.mtimeMs }, write);
    }
    applied = await applyVersionAt(ctx, stored as StoredRecord<VersionRecord>, latest, write);
  }
  if (versionFile) applied.versionFile = versionFile;
  return { applied, line: manifestLineOf(stored, versionFile) };
}
