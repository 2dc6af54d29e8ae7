// Deterministic pseudo-random bytes for test trees: the same (size, seed) always gives the same content, and
// different seeds give content that shares no chunks.
// Why a cipher's keystream (AES-128-CTR, key from the seed's SHA-256) and not an LCG: the LCG this replaced computed
// `x * 1103515245` in doubles, past 2^53, so its low bits were rounded away and its state fell into short cycles: a
// 4 MiB buffer held only ~420 distinct 4 KiB blocks, and seeds 11 and 12 shared 113 of 256 aligned 4 KiB blocks. Tests
// counting chunk downloads then counted duplicated chunks. A keystream has no such cycles, and each seed its own key.
import { createCipheriv, createHash } from 'node:crypto';

export function seededBytes(size: number, seed: number): Uint8Array {
  const key = createHash('sha256').update(`seeded-bytes:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const out = cipher.update(Buffer.alloc(size));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
