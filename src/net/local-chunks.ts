// Chunks a remote receiver already has (docs/protocol.md "Clients"): before a file's new version is fetched, the
// previous version at the same path in the destination (latest mode) is chunked with the log's own chunker
// parameters, and every chunk whose id the new version lists is read from that file instead of the server. A 1 KiB
// edit in a 100 MiB file then moves about one chunk. Chunks of files this run has written (or chunked) are
// remembered by id too, so another file with the same chunks (a copy, a duplicate in the tree) is built locally. Owns: which local file may hold a version's chunks, and reading
// a chunk back from it. Never trusts a local byte: a chunk read locally is hashed again and used only if it matches
// its id (the file may have changed since it was chunked); anything else is fetched. Never reads outside the
// destination (a path through a symlink that leaves it is not used).
import { createReadStream, lstatSync, realpathSync } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { ChunkRef } from '../record/index.js';
import { chunkStream, contentIdHex, hashContent, sameContentId, type ChunkSizes } from '../store/index.js';
import { WeightedLru } from '../util/weighted-lru.js';

/** Where a chunk lies in a local file. */
interface LocalPlace {
  file: string;
  offset: number;
  size: number;
}

/** Chunk places remembered from files this run wrote or chunked (~100 bytes each: ~25 MB at most). */
const PLACES_MAX = 262_144;
/** Chunk lists of destination files this run chunked, kept while the file is unchanged (~100 bytes a chunk). */
const CHUNKED_CHUNKS_MAX = 65_536;

/** A destination file as this run chunked it: its chunks in order, and the stat it had (unchanged while it matches). */
interface ChunkedFile {
  stamp: string;
  chunks: { hex: string; id: Uint8Array; size: number }[];
}

/** Where a file's content goes, under the destination. */
export interface LocalTarget {
  root: string;
  path: string;
}

export class LocalChunks {
  /** Chunk id hex → a place in the destination that held it when this run wrote or chunked that file. */
  private readonly places = new Map<string, LocalPlace>();
  private destReal: Promise<string | undefined> | undefined;
  /** File → its chunks as last chunked (oldest first, at most CHUNKED_CHUNKS_MAX chunks in all). */
  private readonly chunkedFiles = new WeightedLru<string, ChunkedFile>(CHUNKED_CHUNKS_MAX);
  /** Destination files this run has read to chunk them (tests: a delta's base and the apply share one reading). */
  filesChunked = 0;

  constructor(
    private readonly destRoot: string,
    private readonly sizes: ChunkSizes,
  ) {}

  /** The file `target` names in the destination. */
  fileOf(target: LocalTarget): string {
    return join(this.destRoot, target.root, ...target.path.split('/'));
  }

  /** A version's content has been read in full for `target`: the file there holds these chunks at these offsets. */
  noteWritten(chunks: readonly ChunkRef[], target: LocalTarget): void {
    const file = this.fileOf(target);
    let offset = 0;
    for (const chunk of chunks) {
      this.remember(contentIdHex(chunk.id), { file, offset, size: chunk.size });
      offset += chunk.size;
    }
  }

  /**
   * Where each of `chunks` lies locally (by id hex): places remembered from this run's files, then the file at
   * `target` (the previous content at the version's path, about to be replaced), chunked; empty when none holds any.
   */
  async find(chunks: readonly ChunkRef[], target: LocalTarget): Promise<Map<string, LocalPlace>> {
    const found = new Map<string, LocalPlace>();
    const wanted = new Set<string>();
    const insideByFile = new Map<string, boolean>();
    for (const chunk of chunks) {
      const hex = contentIdHex(chunk.id);
      const place = this.places.get(hex);
      if (place && !insideByFile.has(place.file)) insideByFile.set(place.file, await this.inside(place.file));
      if (place && insideByFile.get(place.file)) found.set(hex, place);
      else wanted.add(hex);
    }
    const file = this.fileOf(target);
    if (wanted.size === 0 || !(await this.inside(file))) return found;
    let offset = 0;
    for (const chunk of (await this.chunked(file))?.chunks ?? []) {
      const place = { file, offset, size: chunk.size };
      if (wanted.has(chunk.hex) && !found.has(chunk.hex)) found.set(chunk.hex, place);
      this.remember(chunk.hex, place);
      offset += chunk.size;
    }
    return found;
  }

  /**
   * The chunk list of the file at `target` in the destination, as this log's chunker cuts it (undefined: no regular
   * file there inside the destination, or unreadable). For a read delta's base (docs/protocol.md "Read deltas"): the
   * caller checks what it builds from it against a checksum, so a file changed since is caught there. Chunked once
   * while the file is unchanged: find() for the version that replaces it reuses the work.
   */
  async chunkList(target: LocalTarget): Promise<ChunkRef[] | undefined> {
    const file = this.fileOf(target);
    if (!(await this.inside(file))) return undefined;
    return (await this.chunked(file))?.chunks.map(({ id, size }) => ({ id, size }));
  }

  /** `file` chunked (or as chunked before, when its stat has not changed since); undefined when it cannot be read. */
  private async chunked(file: string): Promise<ChunkedFile | undefined> {
    const before = await stamp(file);
    if (before === undefined) return undefined;
    const known = this.chunkedFiles.get(file);
    if (known?.stamp === before) return known;
    const chunks: ChunkedFile['chunks'] = [];
    this.filesChunked++;
    try {
      for await (const chunk of chunkStream(createReadStream(file, { highWaterMark: 1024 * 1024 }), this.sizes)) {
        const id = hashContent(chunk);
        chunks.push({ hex: contentIdHex(id), id, size: chunk.length });
      }
    } catch {
      return undefined; // gone or unreadable meanwhile: fetch what is missing
    }
    const result = { stamp: before, chunks };
    // Kept only if nothing changed while it was read: then the list is the file's as it still is.
    if ((await stamp(file)) === before) this.keepChunked(file, result);
    return result;
  }

  private keepChunked(file: string, chunked: ChunkedFile): void {
    this.chunkedFiles.delete(file);
    if (chunked.chunks.length > CHUNKED_CHUNKS_MAX) return;
    this.chunkedFiles.set(file, chunked, chunked.chunks.length);
  }

  private remember(hex: string, place: LocalPlace): void {
    this.places.delete(hex);
    this.places.set(hex, place);
    if (this.places.size > PLACES_MAX) this.places.delete(this.places.keys().next().value!);
  }

  /** The chunk's bytes from its local place, if they still hash to `chunk.id`; undefined otherwise. */
  async read(place: LocalPlace, chunk: ChunkRef): Promise<Uint8Array | undefined> {
    if (place.size !== chunk.size) return undefined;
    const handle = await open(place.file, 'r').catch(() => undefined);
    if (!handle) return undefined;
    try {
      const data = new Uint8Array(place.size);
      const { bytesRead } = await handle.read(data, 0, place.size, place.offset);
      return bytesRead === place.size && sameContentId(hashContent(data), chunk.id) ? data : undefined;
    } catch {
      return undefined;
    } finally {
      await handle.close();
    }
  }

  /**
   * A regular file whose real path is inside the destination (no symlink leads out of it). Synchronous calls: one
   * per file applied, most often for a file that does not exist yet, where the async lstat's thread-pool round trip
   * cost a catch-up of 2,000 files ~0.3 s of main thread.
   */
  private async inside(file: string): Promise<boolean> {
    this.destReal ??= realpath(this.destRoot).catch(() => undefined);
    const root = await this.destReal;
    if (!root) return false;
    const stat = lstatSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) return false;
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      return false;
    }
    return real.startsWith(root + sep);
  }

}

/** What says a file is unchanged: inode, size, mtime and ctime (ns); undefined when it is not a regular file. */
async function stamp(file: string): Promise<string | undefined> {
  const stat = await lstat(file, { bigint: true }).catch(() => undefined);
  return stat?.isFile() ? `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}` : undefined;
}
