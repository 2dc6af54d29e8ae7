// A bounded window of chunk records a sequential read of the log just passed (decoded once, still compressed: frame
// checksum verified, `data` a view into the payload copy the log returned). Owns only that memory; never hands out
// bytes itself: the chunk reader inflates and BLAKE3-checks a record from here exactly as one read from the segment
// (only the msgpack decode is not repeated). Invariant: at most `bytesMax` payload bytes are held; the oldest go first.
// Why: a log written by a watcher or a snapshot puts a file's chunks right before its version, so a reader applying
// versions in log order (the receiver) finds them here instead of reading each chunk again with readAt (two reads
// and a thread-pool round trip per chunk; measured in docs/store.md "Reading").
import type { ChunkRecord } from '../record/index.js';
import type { ChunkLocation } from './chunk-index.js';

export interface RecentChunk {
  /** The decoded record (fields validated by the decoder; content not yet checked). */
  record: ChunkRecord;
  /** The payload bytes it holds (its `data` is a view into them). */
  bytes: number;
  where: ChunkLocation & { seq: number };
}

export class RecentChunks {
  private readonly chunks = new Map<string, RecentChunk>();
  private bytes = 0;

  constructor(private readonly bytesMax: number) {}

  /** Keeps a chunk record (by hex id); a record larger than the window is not kept. */
  add(hexId: string, chunk: RecentChunk): void {
    if (chunk.bytes > this.bytesMax) return;
    const old = this.chunks.get(hexId);
    if (old) {
      this.chunks.delete(hexId);
      this.bytes -= old.bytes;
    }
    this.chunks.set(hexId, chunk);
    this.bytes += chunk.bytes;
    for (const [key, oldest] of this.chunks) {
      if (this.bytes <= this.bytesMax) break;
      this.chunks.delete(key);
      this.bytes -= oldest.bytes;
    }
  }

  get(hexId: string): RecentChunk | undefined {
    return this.chunks.get(hexId);
  }

  clear(): void {
    this.chunks.clear();
    this.bytes = 0;
  }
}
