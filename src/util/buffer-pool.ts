// A free list of same-sized byte buffers. Owns only idle buffers; never zeroes, shares or tracks lent ones.
// Invariant: at most `idleMax` buffers are kept; a buffer given back is never handed out twice at once (a caller
// gives back each buffer it took exactly once, after its last use).
// Why: allocating a fresh 512 KiB chunker buffer (or a read buffer) per small file cost more CPU in allocation and
// GC than the file's hashing and compression together (docs/store.md "Small files").
import { assert } from './assert.js';
import { uninitializedBytes } from './uninitialized-bytes.js';

export class BufferPool {
  private readonly idle: Uint8Array[] = [];
  /** Buffers takeBounded made (it never makes more than idleMax). */
  private made = 0;

  constructor(
    readonly bufferBytes: number,
    private readonly idleMax: number,
  ) {
    assert(bufferBytes > 0 && idleMax >= 0, 'buffer pool sizes out of range');
  }

  take(): Uint8Array {
    return this.idle.pop() ?? uninitializedBytes(this.bufferBytes);
  }

  /**
   * An idle buffer, or a new one while fewer than `idleMax` were ever made; undefined beyond that (the caller does
   * without one). For a pool used only this way: its buffers are a fixed set, made as first needed, never dropped.
   */
  takeBounded(): Uint8Array | undefined {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.made >= this.idleMax) return undefined;
    this.made++;
    return uninitializedBytes(this.bufferBytes);
  }

  give(buffer: Uint8Array): void {
    assert(buffer.length === this.bufferBytes, 'buffer given back to the wrong pool');
    if (this.idle.length < this.idleMax) this.idle.push(buffer);
  }
}

