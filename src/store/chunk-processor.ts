// The contract between ingest and whoever does the CPU work (chunk → hash → compress), plus the inline version that
// does it on the calling thread (small files, `workers: 0`). Owns no I/O. Invariant: a session delivers its chunks
// in content order, each with its BLAKE3 id, and `end()` resolves only after the last chunk was delivered.
import { LIMITS } from '../util/limits.js';
import { BufferPool } from '../util/buffer-pool.js';
import { BlockChunker, chunkWhole, DEFAULT_CHUNK_SIZES, type ChunkSizes } from './chunker.js';
import { compressChunk, type CompressedChunk, type CompressionMode } from './compress.js';
import { ContentHasher, hashContent } from './content-id.js';
import { assert } from '../util/assert.js';
import type { ContentIdBytes } from '../record/index.js';

export interface HashedChunk {
  id: ContentIdBytes;
  /**
   * Uncompressed bytes: possibly a view into a block given to write(), valid only until onChunks returns (the block
   * is read into again after onBlockFree). A receiver that keeps the bytes copies them (ingest does, for new chunks).
   */
  data: Uint8Array;
}

export interface SessionResult {
  contentId: ContentIdBytes;
  size: number;
}

export interface ChunkSession {
  /** Called with each batch of finished chunks, in content order (before the blocks they lie in are freed). */
  onChunks: (chunks: HashedChunk[]) => void;
  /** Called with a block given to write() once nothing uses it any more (its whole buffer), so it can be reused. */
  onBlockFree: (block: Uint8Array) => void;
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
  onBlockFree: (block: Uint8Array) => void = () => {};
  private readonly chunker: BlockChunker;
  private readonly hasher = new ContentHasher();
  private aborted = false;
  private released = false;

  constructor(
    sizes: ChunkSizes,
    private readonly buffers: BufferPool,
  ) {
    this.chunker = new BlockChunker(sizes, buffers.take());
  }

  /** Gives the chunker's buffer back once (end and abort may both run: an error after the end aborts too). */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.buffers.give(this.chunker.carry);
  }

  async write(block: Uint8Array): Promise<void> {
    if (this.aborted) return;
    this.hasher.update(block);
    const chunks = this.chunker.push(block);
    if (chunks.length > 0) this.onChunks(hashAll(chunks));
    this.onBlockFree(new Uint8Array(block.buffer, 0, block.buffer.byteLength)); // onChunks copied what it keeps
  }

  async end(): Promise<SessionResult> {
    assert(!this.released, 'inline session ended after it ended or was aborted');
    // finish() hands out copies, so the carry buffer is free once it returned.
    const chunks = this.chunker.finish();
    this.release();
    if (chunks.length > 0 && !this.aborted) this.onChunks(hashAll(chunks));
    return { contentId: this.hasher.digest(), size: this.hasher.size };
  }

  abort(): void {
    this.aborted = true;
    this.release();
  }
}

/** Does everything on the calling thread: right for small inputs, where a worker round trip costs more. */
export class InlineProcessor implements ChunkProcessor {
  private readonly buffers: BufferPool;

  constructor(private readonly sizes: ChunkSizes = DEFAULT_CHUNK_SIZES) {
    this.buffers = new BufferPool(sizes.chunkBytesMax, LIMITS.chunkerBuffersPooledMax);
  }

  openSession(): ChunkSession {
    return new InlineSession(this.sizes, this.buffers);
  }

  /** The chunks of content read whole (views into `data`, each with its id): what a session would deliver for it. */
  cutWhole(data: Uint8Array): HashedChunk[] {
    return hashAll(chunkWhole(data, this.sizes));
  }

  async compress(data: Uint8Array, mode: CompressionMode): Promise<CompressedChunk> {
    return compressChunk(data, mode);
  }

  async close(): Promise<void> {}
}
