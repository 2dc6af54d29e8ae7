// A free list of same-sized byte buffers. Owns only idle buffers; never zeroes, shares or tracks lent ones.
// Invariant: at most `idleMax` buffers are kept; a buffer given back is never handed out twice at once (a caller
// gives back each buffer it took exactly once, after its last use).
// Why: allocating a fresh 512 KiB chunker buffer (or a read buffer) per small file cost more CPU in allocation and
// GC than the file's hashing and compression together (docs/store.md "Small files").
import { assert } from '../util/assert.js';

export class BufferPool {
  private readonly idle: Uint8Array[] = [];

  constructor(
    readonly bufferBytes: number,
    private readonly idleMax: number,
  ) {
    assert(bufferBytes > 0 && idleMax >= 0, 'buffer pool sizes out of range');
  }

  take(): Uint8Array {
    return this.idle.pop() ?? uninitializedBytes(this.bufferBytes);
  }

  give(buffer: Uint8Array): void {
    assert(buffer.length === this.bufferBytes, 'buffer given back to the wrong pool');
    if (this.idle.length < this.idleMax) this.idle.push(buffer);
  }
}

/**
 * `bytes` fresh bytes with their own ArrayBuffer (transferable), not zeroed: for buffers that are always written
 * before they are read (read blocks, chunker buffers, whose users only look at the bytes they filled). Why: zeroing
 * 1 MiB read blocks was ~3% of a many-file snapshot's main-thread time.
 */
export function uninitializedBytes(bytes: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
