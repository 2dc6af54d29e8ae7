// Chunk compression: raw DEFLATE (RFC 1951, Node zlib) used only when it pays. Owns the codec choice for one chunk;
// never hashes (the id is always of the uncompressed bytes). Invariant: a stored 'deflate' chunk is at least
// 1/8 smaller than the raw bytes, and inflating it yields exactly `size` bytes or an error.
import { deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { ChunkCodec } from '../record/index.js';
import { LIMITS } from '../util/limits.js';

export type CompressionMode = 'auto' | 'none';

/** zlib level 1: measured ~110 MB/s at ratio 0.27 on source text vs level 6 at ~60 MB/s and 0.24 (docs/store.md). */
const DEFLATE_LEVEL = 1;

export interface CompressedChunk {
  codec: ChunkCodec;
  data: Uint8Array;
}

/** True when compressing saved at least 1/8 of the input. */
function pays(rawBytes: number, compressedBytes: number): boolean {
  return compressedBytes <= rawBytes - rawBytes / 8;
}

/** Order-0 entropy of `sample` in bits per byte (8 = indistinguishable from random). */
export function byteEntropy(sample: Uint8Array): number {
  const counts = new Uint32Array(256);
  for (let i = 0; i < sample.length; i++) counts[sample[i]!]!++;
  let bits = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b]!;
    if (c > 0) bits -= c * Math.log2(c / sample.length);
  }
  return sample.length === 0 ? 0 : bits / sample.length;
}

/** Above this order-0 entropy a sample is taken as incompressible (random, encrypted, already compressed). */
const INCOMPRESSIBLE_BITS_PER_BYTE = 7.5;

/**
 * Chooses raw or deflate for one chunk. A byte histogram of a sample from the middle decides first, so
 * incompressible data (media, archives, random) costs one pass over a few KiB instead of a deflate; anything else is
 * deflated whole and kept only if that saved at least 1/8.
 */
export function compressChunk(data: Uint8Array, mode: CompressionMode): CompressedChunk {
  if (mode === 'none' || data.length < LIMITS.compressBytesMin) return { codec: 'raw', data };
  const sampleBytes = Math.min(LIMITS.compressSampleBytes, data.length);
  const from = Math.floor((data.length - sampleBytes) / 2);
  if (byteEntropy(data.subarray(from, from + sampleBytes)) >= INCOMPRESSIBLE_BITS_PER_BYTE) return { codec: 'raw', data };
  const packed = deflateRawSync(data, { level: DEFLATE_LEVEL });
  if (!pays(data.length, packed.length)) return { codec: 'raw', data };
  // A copy with its own ArrayBuffer: zlib may hand back a view of a larger (or pooled) buffer, and this one is
  // transferred between threads.
  return { codec: 'deflate', data: new Uint8Array(packed) };
}

const inflateRawAsync = promisify(inflateRaw);

/** Inflates a stored chunk off the main thread (zlib's thread pool); never produces more than `size` bytes. */
export async function decompressChunk(codec: ChunkCodec, data: Uint8Array, size: number): Promise<Uint8Array> {
  if (codec === 'raw') return data;
  const out = await inflateRawAsync(data, { maxOutputLength: Math.max(1, size) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** zlib's smallest output chunk. */
const ZLIB_CHUNK_BYTES_MIN = 64;

/**
 * Inflates on the calling thread. The output buffer is sized for the whole chunk (one byte more, so a chunk that
 * would inflate past `size` still fails on maxOutputLength): zlib's default 16 KiB pieces cost a concat and extra
 * allocations for every chunk over 16 KiB (measured ~20% of inflate time over 1–200 KB text chunks).
 */
export function decompressChunkSync(codec: ChunkCodec, data: Uint8Array, size: number): Uint8Array {
  if (codec === 'raw') return data;
  const out = inflateRawSync(data, { maxOutputLength: Math.max(1, size), chunkSize: Math.max(ZLIB_CHUNK_BYTES_MIN, size + 1) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
