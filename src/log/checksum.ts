// The frame and header checksum: xxh64 from xxhash-wasm (docs/format.md "Checksum"). The wasm module is compiled
// once per thread, at this module's import (a top-level await), so the synchronous `xxh64` is ready wherever it can
// be called: code that decodes frames without opening a log (a worker thread, a tool) never meets an unready hasher.
// Never used for content identity (that is BLAKE3 in src/store): this only detects damage and misplaced frames.
import xxhash from 'xxhash-wasm';

const api = await xxhash();

/** Kept for callers written when the hasher loaded on demand: it is ready once this module is imported. */
export async function initChecksum(): Promise<void> {}

/** xxh64 of `bytes` with `seed` (the segment salt for frames, 0 for headers). */
export function xxh64(bytes: Uint8Array, seed: bigint): bigint {
  return api.h64Raw(bytes, seed);
}

/** xxh64 over several pieces as if they were one run of bytes (a frame header and a payload kept apart). */
export function xxh64Pieces(pieces: readonly Uint8Array[], seed: bigint): bigint {
  const hasher = api.create64(seed);
  for (const piece of pieces) hasher.update(piece);
  return hasher.digest();
}
