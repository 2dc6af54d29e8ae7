// The stat cache: (root, path, size, mtimeMs, ctimeMs, ino) → content, persisted beside the log so an unchanged tree
// is rescanned without reading file contents. Owns that map and its file; never reads the files it describes.
// Invariant: any doubt means a miss (the caller re-hashes): a damaged or foreign cache file loads as empty, a stat
// fact that differs misses, and an entry whose ctime/mtime is too close to the moment its content was read ("racily
// clean", after git) misses, since a same-size write in the same timestamp tick would be invisible to stat.
import { readFile, stat } from 'node:fs/promises';
import { decode, encode } from '@msgpack/msgpack';
import { writeFileAtomic } from '../util/fs-durable.js';
import { LIMITS } from '../util/limits.js';
import { checksum64 } from './checksum.js';
import { CONTENT_ID_BYTES } from './content-id.js';
import type { ChunkRef, ContentIdBytes } from '../record/index.js';
import type { StatCacheApi, StatKey } from './types.js';

/** File header: magic + format version (docs/store.md "Stat cache file"). */
const MAGIC = new TextEncoder().encode('SLSTATC1');
const CHUNK_REF_BYTES = CONTENT_ID_BYTES + 4;

export interface CachedContent {
  contentId: ContentIdBytes;
  chunks: ChunkRef[];
  size: number;
}

interface Entry {
  stat: StatKey;
  /** When the content was read (ms since the epoch); entries are trusted only well after their ctime/mtime. */
  verifiedAtMs: number;
  contentId: ContentIdBytes;
  /** Chunk refs packed as (32-byte id, u32 LE size)*, decoded on hit. */
  chunks: Uint8Array;
  size: number;
}

function keyOf(root: string, path: string): string {
  return `${root}\0${path}`;
}

function packChunks(chunks: readonly ChunkRef[]): Uint8Array {
  const out = new Uint8Array(chunks.length * CHUNK_REF_BYTES);
  const view = new DataView(out.buffer);
  chunks.forEach((chunk, i) => {
    out.set(chunk.id, i * CHUNK_REF_BYTES);
    view.setUint32(i * CHUNK_REF_BYTES + CONTENT_ID_BYTES, chunk.size, true);
  });
  return out;
}

function unpackChunks(packed: Uint8Array): ChunkRef[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const chunks: ChunkRef[] = [];
  for (let at = 0; at + CHUNK_REF_BYTES <= packed.length; at += CHUNK_REF_BYTES) {
    chunks.push({ id: packed.slice(at, at + CONTENT_ID_BYTES), size: view.getUint32(at + CONTENT_ID_BYTES, true) });
  }
  return chunks;
}

export class StatCache implements StatCacheApi {
  private readonly entries = new Map<string, Entry>();
  /** Why the file on disk was not used, when it was not (missing, damaged, foreign). */
  loadProblem: string | undefined;
  private dirty = false;

  constructor(
    readonly file: string,
    private readonly readOnly: boolean,
    private readonly racyWindowMs: number = LIMITS.statCacheRacyWindowMs,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(root: string, path: string, stat: StatKey): CachedContent | undefined {
    const entry = this.matching(root, path, stat);
    return entry && { contentId: entry.contentId, chunks: unpackChunks(entry.chunks), size: entry.size };
  }

  contentIdOf(root: string, path: string, stat: StatKey): ContentIdBytes | undefined {
    return this.matching(root, path, stat)?.contentId;
  }

  /** The entry when every stat fact matches exactly and it is not racily clean; undefined on any doubt. */
  private matching(root: string, path: string, stat: StatKey): Entry | undefined {
    const entry = this.entries.get(keyOf(root, path));
    if (!entry) return undefined;
    const s = entry.stat;
    if (s.size !== stat.size || s.mtimeMs !== stat.mtimeMs || s.ctimeMs !== stat.ctimeMs || s.ino !== stat.ino) return undefined;
    // Racily clean: a write in the same timestamp tick as the one we saw would not change the stat facts.
    const safeBefore = entry.verifiedAtMs - this.racyWindowMs;
    if (!(s.ctimeMs < safeBefore && s.mtimeMs < safeBefore)) return undefined;
    return entry;
  }

  set(root: string, path: string, stat: StatKey, content: CachedContent): void {
    if (this.entries.size >= LIMITS.statCacheEntriesMax && !this.entries.has(keyOf(root, path))) return; // a miss later is safe
    const verifiedAtMs = Math.min(Date.now(), stat.observedAtMs ?? Number.POSITIVE_INFINITY);
    this.entries.set(keyOf(root, path), {
      stat: { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino },
      verifiedAtMs,
      contentId: new Uint8Array(content.contentId),
      chunks: packChunks(content.chunks),
      size: content.size,
    });
    this.dirty = true;
  }

  delete(root: string, path: string): void {
    if (this.entries.delete(keyOf(root, path))) this.dirty = true;
  }

  /**
   * Drops every entry from memory without writing (a prune removed the file: its content ids may name chunks that are
   * gone, and saving them again would bring them back).
   */
  clear(): void {
    this.entries.clear();
    this.dirty = false;
  }

  /** Writes the cache atomically (temp, fsync, rename). A read-only store never writes: it resolves at once. */
  async save(): Promise<void> {
    if (this.readOnly || !this.dirty) return;
    const rows: unknown[] = [];
    for (const [key, e] of this.entries) {
      const [root, path] = key.split('\0');
      rows.push([root, path, e.stat.size, e.stat.mtimeMs, e.stat.ctimeMs, e.stat.ino, e.verifiedAtMs, e.contentId, e.chunks, e.size]);
    }
    const body = encode({ v: 1, rows });
    const file = new Uint8Array(MAGIC.length + body.length + 8);
    file.set(MAGIC, 0);
    file.set(body, MAGIC.length);
    file.set(await checksum64(file.subarray(0, MAGIC.length + body.length)), MAGIC.length + body.length);
    this.dirty = false;
    await writeFileAtomic(this.file, file);
  }

  /** Loads the file if it is there and intact; otherwise starts empty and says why in `loadProblem`. */
  async load(): Promise<void> {
    let bytes: Uint8Array;
    try {
      const info = await stat(this.file);
      if (info.size > LIMITS.storeDerivedFileBytesMax) return this.refuse('file too large');
      bytes = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.refuse('missing');
      return this.refuse(`unreadable: ${(error as Error).message}`);
    }
    if (bytes.length < MAGIC.length + 8 || !MAGIC.every((b, i) => bytes[i] === b)) return this.refuse('not a stat cache file');
    const end = bytes.length - 8;
    const sum = await checksum64(bytes.subarray(0, end));
    if (!sum.every((b, i) => bytes[end + i] === b)) return this.refuse('checksum mismatch');
    try {
      this.fill(decode(bytes.subarray(MAGIC.length, end)));
    } catch (error) {
      this.entries.clear();
      return this.refuse(`bad body: ${(error as Error).message}`);
    }
  }

  private fill(value: unknown): void {
    const body = value as { v?: unknown; rows?: unknown };
    if (body.v !== 1 || !Array.isArray(body.rows)) throw new Error('unknown version');
    for (const row of body.rows as unknown[]) {
      if (!Array.isArray(row) || row.length !== 10) throw new Error('bad row');
      const [root, path, size, mtimeMs, ctimeMs, ino, verifiedAtMs, contentId, chunks, contentSize] = row as unknown[];
      const numbers = [size, mtimeMs, ctimeMs, ino, verifiedAtMs, contentSize];
      if (typeof root !== 'string' || typeof path !== 'string' || numbers.some((n) => typeof n !== 'number')) throw new Error('bad row');
      if (!(contentId instanceof Uint8Array) || contentId.length !== CONTENT_ID_BYTES) throw new Error('bad content id');
      if (!(chunks instanceof Uint8Array) || chunks.length % CHUNK_REF_BYTES !== 0) throw new Error('bad chunk list');
      this.entries.set(keyOf(root, path), {
        stat: { size: size as number, mtimeMs: mtimeMs as number, ctimeMs: ctimeMs as number, ino: ino as number },
        verifiedAtMs: verifiedAtMs as number,
        contentId: new Uint8Array(contentId),
        chunks: new Uint8Array(chunks),
        size: contentSize as number,
      });
    }
  }

  private refuse(reason: string): void {
    this.loadProblem = reason;
  }
}
