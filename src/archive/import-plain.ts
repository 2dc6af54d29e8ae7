// Import of a plain tarball (no manifest, from tar or any other tool): a snapshot of a tree, imported into one root.
// Each regular file becomes a version (event 'imported') cut into chunks by the store's own chunker, so its chunks
// dedup against everything the watcher stored; dirs and symlinks become versions as the watcher records them.
// Never: re-adds a path whose newest version already has the same content (or is the same dir / symlink).
// Invariant: yields a version only after every chunk it references (already in the log, or yielded before it).
import { newVersionId, type ChunkRef, type ContentIdBytes, type LogRecord, type VersionRecord } from '../record/index.js';
import { ContentHasher, chunkStream, compressChunk, contentIdHex, hashContent, sameContentId, type CatalogApi, type StoreApi } from '../store/index.js';
import type { LogPath } from '../util/log-path.js';
import { refuseEntry } from './archive-entry-path.js';
import type { ArchiveItem } from './archive-reader.js';
import type { AdmittedEntry } from './entry-gate.js';
import type { WalkCounters } from './import-synclog.js';

export interface PlainWalk {
  archive: string;
  store: StoreApi;
  catalog: CatalogApi;
  root: string;
  /** The time stamped on every version this import adds. */
  timeMs: number;
  counters: WalkCounters;
  /** Paths that hard links point at (found by pass 1): only their contents are remembered. */
  linkTargets: ReadonlySet<string>;
}

interface FileContent {
  contentId: ContentIdBytes;
  chunks: ChunkRef[];
  size: number;
}

/** Chunks, hashes and (when it pays) compresses one file's bytes; yields the chunk records the log lacks. */
async function* fileChunks(walk: PlainWalk, body: AsyncIterable<Uint8Array>, added: Set<string>, out: FileContent): AsyncGenerator<LogRecord> {
  const whole = new ContentHasher();
  for await (const bytes of chunkStream(body)) {
    const id = hashContent(bytes);
    whole.update(bytes);
    out.chunks.push({ id, size: bytes.length });
    out.size += bytes.length;
    const key = contentIdHex(id);
    if (added.has(key) || walk.store.hasChunk(id)) continue;
    added.add(key);
    const { codec, data } = compressChunk(bytes, 'auto');
    walk.counters.newChunks += 1;
    walk.counters.newBytes += bytes.length;
    walk.counters.storedBytes += data.length;
    yield { kind: 'chunk', id, codec, size: bytes.length, data };
  }
  out.contentId = whole.digest();
}

/** True when the path's newest entry already is this (same type, and same content or target). */
function alreadyThere(walk: PlainWalk, record: VersionRecord): boolean {
  const latest = walk.catalog.latest(walk.root, record.path)?.record;
  if (!latest || latest.kind !== 'version' || latest.type !== record.type) return false;
  if (record.type === 'file') return latest.contentId !== undefined && sameContentId(latest.contentId, record.contentId!);
  if (record.type === 'symlink') return latest.target === record.target;
  return true;
}

/**
 * A version id no other record has. Every version of one import shares its time, so ids differ only in their 32
 * random bits: a million-file tarball would collide by the birthday bound without this check.
 */
function uniqueVersionId(walk: PlainWalk, used: Set<string>): string {
  for (;;) {
    const id = newVersionId(walk.timeMs);
    if (!used.has(id) && walk.catalog.findVersion(id)?.record.versionId !== id) {
      used.add(id);
      return id;
    }
  }
}

function versionOf(walk: PlainWalk, entry: AdmittedEntry, content: FileContent | undefined, used: Set<string>): VersionRecord {
  const type = entry.type === 'hardlink' ? 'file' : entry.type;
  const record: VersionRecord = {
    kind: 'version',
    versionId: uniqueVersionId(walk, used),
    time: walk.timeMs,
    root: walk.root,
    path: entry.path as LogPath,
    type,
    event: 'imported',
    size: type === 'file' ? content!.size : type === 'symlink' ? Buffer.byteLength(entry.target!) : 0,
    mtimeMs: entry.mtimeMs,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
  };
  if (entry.owner) record.owner = entry.owner;
  if (type === 'file') {
    record.contentId = content!.contentId;
    record.chunks = content!.chunks;
  }
  if (type === 'symlink') record.target = entry.target!;
  return record;
}

/** Walks a plain tarball's entries (already gated) and yields the records to append, in archive order. */
export async function* walkPlain(walk: PlainWalk, entries: AsyncIterable<ArchiveItem>): AsyncGenerator<LogRecord> {
  const added = new Set<string>();
  const used = new Set<string>();
  const files = new Map<string, FileContent>();
  for await (const { entry, body } of entries) {
    let content: FileContent | undefined;
    if (entry.type === 'file') {
      content = { contentId: new Uint8Array(0), chunks: [], size: 0 };
      yield* fileChunks(walk, body, added, content);
      if (walk.linkTargets.has(entry.path)) files.set(entry.path, content);
    } else if (entry.type === 'hardlink') {
      // The gate admitted the link only to an earlier file (or link) entry, whose content is known by now.
      content = files.get(entry.target!);
      if (!content) refuseEntry(walk.archive, entry.name, 'hardlink-unknown', `hard link to ${entry.target}, which pass 1 did not see`);
      if (walk.linkTargets.has(entry.path)) files.set(entry.path, content);
    }
    const record = versionOf(walk, entry, content, used);
    if (alreadyThere(walk, record)) {
      walk.counters.skipped += 1;
      continue;
    }
    walk.counters.versions += 1;
    yield record;
  }
}
