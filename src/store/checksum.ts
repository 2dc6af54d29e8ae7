// xxHash64 (xxhash-wasm) for the store's derived files (index checkpoint, stat cache): a fast non-cryptographic check
// that a file is the one we wrote. Owns the one-time wasm init; never used for content ids (those are BLAKE3).
import xxhash from 'xxhash-wasm';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Promise<Hasher> | undefined;

/** The xxhash-wasm instance, initialised once per thread. */
export function loadXxhash(): Promise<Hasher> {
  hasher ??= xxhash();
  return hasher;
}

/** xxHash64 of `data` with a fixed seed, as 8 little-endian bytes. */
export async function checksum64(data: Uint8Array): Promise<Uint8Array> {
  const { h64Raw } = await loadXxhash();
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, h64Raw(data, 0x5c10_9ca7n), true);
  return out;
}
