// Fresh, unzeroed byte buffers for memory that is always written before it is read.
// Why a plain Uint8Array over Buffer.allocUnsafeSlow's memory and not the Buffer itself: a Buffer's slice() is a view,
// Uint8Array's is a copy, and code that copies with slice() (the log's scanner handing out payloads) must keep copying.

/**
 * `bytes` fresh bytes with their own ArrayBuffer (transferable), not zeroed: for buffers that are always written
 * before they are read (read blocks, chunker buffers, scan buffers, whose users only look at the bytes they filled).
 * Why: zeroing 1 MiB read blocks was ~3% of a many-file snapshot's main-thread time, and most of a tailing log
 * reader's.
 */
export function uninitializedBytes(bytes: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * A copy of `bytes` in fresh memory of exactly its size, not zeroed first (every byte is written at once): for a
 * payload that must outlive the reused buffer it was read into, or keep no larger buffer alive.
 */
export function unzeroedCopy(bytes: Uint8Array): Uint8Array {
  const copy = uninitializedBytes(bytes.length);
  copy.set(bytes);
  return copy;
}
