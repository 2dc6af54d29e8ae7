// exportArchive: writes selected records of a store as a gzip tar (docs/archive.md): the manifest first, then one
// entry per version in log order, contents streamed chunk by chunk from the store.
// Never: holds a file's content whole (memory is one chunk plus the stream buffers), or leaves a partial FILE: the
// archive is written to a temp file beside it, fsynced and renamed (util/fs-durable.ts), or removed on failure.
// Invariant: every entry written is named by layout.ts and listed in the manifest, and the manifest was parsed
// back (the same validation an import runs) before the first byte was written.
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar, { type Pack } from 'tar-stream';
import { ArchiveError, CorruptionError, isSynclogError } from '../errors.js';
import { contentIdHex, type ChunkRef, type VersionRecord } from '../record/index.js';
import type { StoreApi, UnreadableVersion } from '../store/index.js';
import { assert } from '../util/assert.js';
import { writeFileAtomic } from '../util/fs-durable.js';
import type { LogPath } from '../util/log-path.js';
import { symlinkTargetInside } from './archive-entry-path.js';
import { HARDLINK_BYTES_MIN, MANIFEST_ENTRY, ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, latestEntryName, olderEntryName } from './layout.js';
import { encodeManifest, manifestDelete, manifestVersion, type Manifest } from './manifest.js';
import { selectRecords, type ArchiveSelection, type SelectedRecord } from './selection.js';

export interface ExportOptions {
  /** Called as content is written: content bytes done and in total (for a progress bar). */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** gzip level 1-9. Default 6 (docs/archive.md "Compression" for the measurements). */
  gzipLevel?: number;
  /**
   * For a store opened with skipDamaged: a file version whose chunks are not all intact in the log (in a skipped
   * region, or bytes that fail their hash) is left out of the archive (and its manifest) and listed in `unreadable`,
   * instead of failing the export. Default false.
   */
  skipDamaged?: boolean;
}

export interface ExportResult {
  file: string;
  versions: number;
  deletes: number;
  /** Content bytes of the versions (before gzip; identical contents counted once). */
  contentBytes: number;
  /** Size of the archive file. */
  archiveBytes: number;
  /** Symlinks whose target leaves the archive root: importing them needs allowEscapingSymlinks. */
  escapingSymlinks: number;
  /** File versions left out (skipDamaged only): their content is not intact in the log. */
  unreadable: UnreadableVersion[];
}

const GZIP_LEVEL_DEFAULT = 6;
/** tar-stream writes uid/gid as 6 octal digits; larger ids go as 0 (the manifest keeps the real ones). */
const TAR_ID_MAX = 0o777777;

interface PlannedEntry {
  record: VersionRecord;
  name: string;
  /** An earlier entry with identical content: written as a tar hard link to it. */
  linkTo?: string;
}

/** Names every version's entry; identical contents after the first become hard links (tar xzf still works). */
function planEntries(selected: SelectedRecord[], archive: string): PlannedEntry[] {
  const names = new Set<string>([MANIFEST_ENTRY]);
  const byContent = new Map<string, string>();
  const planned: PlannedEntry[] = [];
  for (const { stored, latest } of selected) {
    const record = stored.record;
    if (record.kind !== 'version') continue;
    const name = latest ? latestEntryName(record.root, record.path) : olderEntryName(record.root, record.path, record.time, record.versionId);
    if (names.has(name)) throw new ArchiveError(`cannot export: two records would share the entry ${name}`, { archive, entry: name, reason: 'name-collision' });
    names.add(name);
    const entry: PlannedEntry = { record, name };
    if (record.type === 'file' && record.size >= HARDLINK_BYTES_MIN) {
      const key = contentKey(record);
      const earlier = byContent.get(key);
      if (earlier !== undefined) entry.linkTo = earlier;
      else byContent.set(key, name);
    }
    planned.push(entry);
  }
  return planned;
}

function contentKey(record: VersionRecord): string {
  return [contentIdHex(record.contentId!), ...record.chunks!.map((c) => `${contentIdHex(c.id)}:${c.size}`)].join(',');
}

function buildManifest(selection: ArchiveSelection, selected: SelectedRecord[], planned: PlannedEntry[]): Manifest {
  const entryOf = new Map(planned.map((p) => [p.record.versionId, p.name]));
  const records = selected.map(({ stored }) =>
    stored.record.kind === 'version' ? manifestVersion(stored.record, entryOf.get(stored.record.versionId)!) : manifestDelete(stored.record),
  );
  return { format: ARCHIVE_FORMAT, formatVersion: ARCHIVE_FORMAT_VERSION, createdMs: Date.now(), selection, records };
}

type Sink = ReturnType<Pack['entry']>;

/** Resolves when the entry stream wants more; rejects once it is closed (the pack failed or was torn down). */
function drained(sink: Sink): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sink.destroyed || sink.destroying) return reject(new Error('tar entry closed'));
    const cleanup = () => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error('tar entry closed'));
    };
    sink.on('drain', onDrain);
    sink.on('close', onClose);
  });
}

/** Adds one entry and resolves when tar-stream has taken all of it (back-pressure respected). */
function addEntry(pack: Pack, header: Parameters<Pack['entry']>[0], content?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onBytes?: (n: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    // Failures arrive through the callback and the catch below; an 'error' event without a listener would throw.
    sink.on('error', () => {});
    const end = () => sink.end(null);
    if (!content) {
      end();
      return;
    }
    (async () => {
      for await (const piece of content) {
        if (!sink.write(piece)) await drained(sink);
        onBytes?.(piece.length);
      }
      end();
    })().catch((error: unknown) => {
      sink.destroy(error as Error);
      reject(error);
    });
  });
}

function headerFor(entry: PlannedEntry): Parameters<Pack['entry']>[0] {
  const r = entry.record;
  const base = {
    name: entry.name,
    mode: r.mode & 0o7777,
    mtime: new Date(Math.max(0, r.mtimeMs)),
    uid: r.uid >= 0 && r.uid <= TAR_ID_MAX ? r.uid : 0,
    gid: r.gid >= 0 && r.gid <= TAR_ID_MAX ? r.gid : 0,
    ...(r.owner ? { uname: r.owner } : {}),
  };
  if (entry.linkTo !== undefined) return { ...base, type: 'link', linkname: entry.linkTo, size: 0 };
  // A trailing slash on directories, as tar writes them (the manifest names entries without it).
  if (r.type === 'dir') return { ...base, name: `${entry.name}/`, type: 'directory', size: 0 };
  if (r.type === 'symlink') return { ...base, type: 'symlink', linkname: r.target!, size: 0 };
  return { ...base, type: 'file', size: r.size };
}

/**
 * The selected records whose content is intact (every chunk located outside damage, and its bytes matching its id)
 * and the file versions left out. Checked before the manifest is written: a tar entry's size is fixed before its
 * content, and the manifest (first in the archive) lists every entry. So with skipDamaged each distinct chunk is read
 * and hashed once here and once more when written: about twice the read work, paid only by an export given the flag.
 */
async function dropUnreadable(store: StoreApi, selected: SelectedRecord[]): Promise<{ kept: SelectedRecord[]; unreadable: ExportResult['unreadable'] }> {
  const kept: SelectedRecord[] = [];
  const unreadable: ExportResult['unreadable'] = [];
  const checked = new ChunkCheck(store);
  for (const item of selected) {
    const r = item.stored.record;
    if (r.kind === 'version' && r.type === 'file') {
      const problem = await checked.firstProblem(r.chunks ?? []);
      if (problem !== undefined) {
        unreadable.push({ path: `${r.root}/${r.path}`, versionId: r.versionId, reason: problem });
        continue;
      }
    }
    kept.push(item);
  }
  return { kept, unreadable };
}

/** Reads each distinct chunk once (the store checks its size and hash as it streams) and remembers the outcome. */
class ChunkCheck {
  /** Chunk id hex → undefined when intact, else the CorruptionError's message. */
  private readonly outcomes = new Map<string, string | undefined>();

  constructor(private readonly store: StoreApi) {}

  /** The first damaged chunk's message, or undefined when every chunk is intact. Other errors are thrown. */
  async firstProblem(chunks: readonly ChunkRef[]): Promise<string | undefined> {
    try {
      // Located first, all at once: a chunk in a skipped region fails here without reading anything.
      await this.store.locateChunks(chunks);
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      return error.message;
    }
    for (const chunk of chunks) {
      const key = `${contentIdHex(chunk.id)}:${chunk.size}`;
      if (!this.outcomes.has(key)) this.outcomes.set(key, await this.read(chunk));
      const problem = this.outcomes.get(key);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  private async read(chunk: ChunkRef): Promise<string | undefined> {
    try {
      for await (const piece of this.store.readContent([chunk])) void piece;
      return undefined;
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      return error.message;
    }
  }
}

/** Writes the manifest and every planned entry into `pack`, then finalizes it. */
async function produce(store: StoreApi, pack: Pack, manifestBytes: Uint8Array, planned: PlannedEntry[], progress: (n: number) => void): Promise<void> {
  await addEntry(pack, { name: MANIFEST_ENTRY, type: 'file', mode: 0o644, mtime: new Date(), size: manifestBytes.length }, [manifestBytes]);
  for (const entry of planned) {
    const header = headerFor(entry);
    const content = header.type === 'file' ? store.readContent(entry.record.chunks ?? []) : undefined;
    await addEntry(pack, header, content, progress);
  }
  pack.finalize();
}

/**
 * Exports `selection` from `store` to `file` (a gzip tar). When the promise resolves the archive is complete and
 * durable under its final name; on any failure `file` is untouched (never a partial archive).
 */
export async function exportArchive(store: StoreApi, selection: ArchiveSelection, file: string, options: ExportOptions = {}): Promise<ExportResult> {
  const level = options.gzipLevel ?? GZIP_LEVEL_DEFAULT;
  assert(Number.isInteger(level) && level >= 1 && level <= 9, 'gzipLevel is 1-9');
  const catalog = await store.catalog();
  await catalog.refresh();
  const { kept: selected, unreadable } = options.skipDamaged ? await dropUnreadable(store, selectRecords(catalog, selection)) : { kept: selectRecords(catalog, selection), unreadable: [] };
  const planned = planEntries(selected, file);
  const manifestBytes = encodeManifest(buildManifest(selection, selected, planned), file);
  const contentBytes = planned.reduce((sum, p) => sum + (p.record.type === 'file' && p.linkTo === undefined ? p.record.size : 0), 0);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, contentBytes);
  };
  options.onProgress?.(0, contentBytes);

  const pack = tar.pack();
  const gzip = createGzip({ level });
  let failure: unknown;
  (pipeline as (...args: unknown[]) => void)(pack, gzip, () => {});
  const producing = produce(store, pack, manifestBytes, planned, progress).catch((error: unknown) => {
    failure = error;
    pack.destroy(error as Error);
  });
  try {
    await writeFileAtomic(file, gzip);
  } catch (error) {
    // The file side failed (no such directory, disk full): tear the streams down so the producer stops waiting.
    pack.destroy(error as Error);
    gzip.destroy(error as Error);
    await producing;
    // The producer's error (a damaged chunk, say) is the real cause; the stream error is its echo.
    throw failure !== undefined && (isSynclogError(failure) || !isSynclogError(error)) ? failure : error;
  }
  await producing;
  if (failure !== undefined) throw failure;
  const escapingSymlinks = planned.filter((p) => p.record.type === 'symlink' && !symlinkTargetInside(p.name as LogPath, p.record.target!)).length;
  return {
    file,
    versions: planned.length,
    deletes: selected.length - planned.length,
    contentBytes,
    archiveBytes: (await stat(file)).size,
    escapingSymlinks,
    unreadable,
  };
}
