// Chunks a remote receiver already has (docs/protocol.md "Clients"): before a file's new version is fetched, the
// previous version at the same path in the destination (latest mode) is chunked with the log's own chunker
// parameters, and every chunk whose id the new version lists is read from that file instead of the server. A 1 KiB
// edit in a 100 MiB file then moves about one chunk. Owns: which local file may hold a version's chunks, and reading
// a chunk back from it. Never trusts a local byte: a chunk read locally is hashed again and used only if it matches
// its id (the file may have changed since it was chunked); anything else is fetched. Never reads outside the
// destination (a path through a symlink that leaves it is not used).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { ChunkRef } from '../record/index.js';
import { chunkStream, contentIdHex, hashContent, sameContentId, type ChunkSizes } from '../store/index.js';

/** Where a chunk lies in a local file. */
interface LocalPlace {
  file: string;
  offset: number;
  size: number;
}

/** Versions remembered between the record passing by and its content being read (a window, not history). */
const CANDIDATES_MAX = 4096;

/** A short key for a chunk list (a digest: a large file's list is thousands of ids). */
function keyOf(chunks: readonly ChunkRef[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk.id);
  return hash.digest('hex');
}

export class LocalChunks {
  /** The chunk list of a version seen in entries() → the destination file that may hold its previous content. */
  private readonly candidates = new Map<string, string>();
  private destReal: Promise<string | undefined> | undefined;

  constructor(
    private readonly destRoot: string,
    private readonly sizes: ChunkSizes,
  ) {}

  /** A file version is about to be applied at `root/path`: its previous content there may hold some chunks. */
  noteVersion(root: string, path: string, chunks: readonly ChunkRef[]): void {
    if (chunks.length === 0) return;
    const key = keyOf(chunks);
    this.candidates.delete(key);
    this.candidates.set(key, join(this.destRoot, root, ...path.split('/')));
    if (this.candidates.size > CANDIDATES_MAX) this.candidates.delete(this.candidates.keys().next().value!);
  }

  /** Where each of `chunks` lies locally (by id hex), for those the candidate file holds; empty when none does. */
  async find(chunks: readonly ChunkRef[]): Promise<Map<string, LocalPlace>> {
    const found = new Map<string, LocalPlace>();
    const file = this.candidates.get(keyOf(chunks));
    if (!file || !(await this.inside(file))) return found;
    const wanted = new Set(chunks.map((chunk) => contentIdHex(chunk.id)));
    let offset = 0;
    try {
      for await (const chunk of chunkStream(createReadStream(file, { highWaterMark: 1024 * 1024 }), this.sizes)) {
        const hex = contentIdHex(hashContent(chunk));
        if (wanted.has(hex) && !found.has(hex)) found.set(hex, { file, offset, size: chunk.length });
        offset += chunk.length;
      }
    } catch {
      // Gone or unreadable meanwhile: fetch what is missing.
    }
    return found;
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

  /** A regular file whose real path is inside the destination (no symlink leads out of it). */
  private async inside(file: string): Promise<boolean> {
    this.destReal ??= realpath(this.destRoot).catch(() => undefined);
    const root = await this.destReal;
    if (!root) return false;
    const stat = await lstat(file).catch(() => undefined);
    if (!stat?.isFile()) return false;
    const real = await realpath(file).catch(() => undefined);
    return real !== undefined && real.startsWith(root + sep);
  }
}
