// The frame and header checksum: xxh64 from xxhash-wasm (docs/format.md "Checksum"). The wasm module is compiled
// once per process; `initChecksum()` must be awaited (Log.open and verifyLog do) before the synchronous `xxh64`.
// Never used for content identity (that is BLAKE3 in src/store): this only detects damage and misplaced frames.
import xxhash from 'xxhash-wasm';
import { assert } from '../util/assert.js';

type XxhashApi = Awaited<ReturnType<typeof xxhash>>;

let api: XxhashApi | undefined;
let loading: Promise<XxhashApi> | undefined;

/** Loads the wasm hasher once; later calls return at once. */
export async function initChecksum(): Promise<void> {
  if (api) return;
  loading ??= xxhash();
  api = await loading;
}

/** xxh64 of `bytes` with `seed` (the segment salt for frames, 0 for headers). */
export function xxh64(bytes: Uint8Array, seed: bigint): bigint {
  assert(api !== undefined, 'initChecksum() must be awaited before hashing');
  return api.h64Raw(bytes, seed);
}

/** xxh64 over several pieces as if they were one run of bytes (a frame header and a payload kept apart). */
export function xxh64Pieces(pieces: readonly Uint8Array[], seed: bigint): bigint {
  assert(api !== undefined, 'initChecksum() must be awaited before hashing');
  const hasher = api.create64(seed);
  for (const piece of pieces) hasher.update(piece);
  return hasher.digest();
}
