// The contract between ingest and whoever does the CPU work (chunk → hash → compress), plus the inline version that
// does it on the calling thread (small files, `workers: 0`). Owns no I/O. Invariant: a session delivers its chunks
// in content order, each with its BLAKE3 id, and `end()` resolves only after the last chunk was delivered.
import { Chunker, DEFAULT_CHUNK_SIZES, type ChunkSizes } from './chunker.js';
import { compressChunk, type CompressedChunk, type CompressionMode } from './compress.js';
import { ContentHasher, hashContent } from './content-id.js';
import type { ContentIdBytes } from '../record/index.js';

export interface HashedChunk {
  id: ContentIdBytes;
  /** Uncompressed bytes (own ArrayBuffer). */
  data: Uint8Array;
}

export interface SessionResult {
  contentId: ContentIdBytes;
  size: number;
}

export interface ChunkSession {
  /** Called with each batch of finished chunks, in content order. */
  onChunks: (chunks: HashedChunk[]) => void;
  /** Hands over a block (the caller must not touch it afterwards); resolves when more may be written. */
  write(block: Uint8Array): Promise<void>;
  /** Ends the content; resolves after every chunk was delivered through onChunks. */
  end(): Promise<SessionResult>;
  /** Drops the session (error or abort); nothing more is delivered. */
  abort(): void;
}

export interface ChunkProcessor {
  openSession(): ChunkSession;
  compress(data: Uint8Array, mode: CompressionMode): Promise<CompressedChunk>;
  close(): Promise<void>;
}

function hashAll(chunks: Uint8Array[]): HashedChunk[] {
  return chunks.map((data) => ({ id: hashContent(data), data }));
}

class InlineSession implements ChunkSession {
  onChunks: (chunks: HashedChunk[]) => void = () => {};
  private readonly chunker: Chunker;
  private readonly hasher = new ContentHasher();
  private aborted = false;

  constructor(sizes: ChunkSizes) {
    this.chunker = new Chunker(sizes);
  }

  async write(block: Uint8Array): Promise<void> {
    if (this.aborted) return;
    this.hasher.update(block);
    const chunks = this.chunker.push(block);
    if (chunks.length > 0) this.onChunks(hashAll(chunks));
  }

  async end(): Promise<SessionResult> {
    const chunks = this.chunker.finish();
    if (chunks.length > 0 && !this.aborted) this.onChunks(hashAll(chunks));
    return { contentId: this.hasher.digest(), size: this.hasher.size };
  }

  abort(): void {
    this.aborted = true;
  }
}

/** Does everything on the calling thread: right for small inputs, where a worker round trip costs more. */
export class InlineProcessor implements ChunkProcessor {
  constructor(private readonly sizes: ChunkSizes = DEFAULT_CHUNK_SIZES) {}

  openSession(): ChunkSession {
    return new InlineSession(this.sizes);
  }

  async compress(data: Uint8Array, mode: CompressionMode): Promise<CompressedChunk> {
    return compressChunk(data, mode);
  }

  async close(): Promise<void> {}
}
