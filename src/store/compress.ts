// Chunk compression: zstd level 1 (RFC 8878, a WebAssembly build) for new chunks, used only when it pays; raw
// DEFLATE (RFC 1951, Node zlib) chunks of format-1 logs are still read. Owns the codec choice for one chunk; never
// hashes (the id is always of the uncompressed bytes). Invariants: a stored compressed chunk is at least 1/8 smaller
// than the raw bytes, and decompressing it yields exactly `size` bytes or an error, never allocating past `size`.
// The zstd module loads asynchronously: every thread awaits readyCodecs() once before its first (synchronous) use.
import { compressUsingDict as zstdCompressWith, createCCtx as zstdCreateContext, decompress as zstdDecompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { ChunkCodec } from '../record/index.js';
import { assert } from '../util/assert.js';
import { LIMITS } from '../util/limits.js';

export type CompressionMode = 'auto' | 'none';

/** The codec new chunks are compressed with (docs/store.md "Compression" has the measurement behind the choice). */
export const WRITE_CODEC = 'zstd' satisfies ChunkCodec;
/** zstd level 1: per CPU-second ~1.3-1.6x deflate level 1 to compress and ~2x to decompress, ratio 0.239 vs 0.246. */
const ZSTD_LEVEL = 1;
/** zlib level 1, for callers that must write format-1 chunks (tests of mixed logs). */
const DEFLATE_LEVEL = 1;

let zstdReady = false;
let zstdLoading: Promise<void> | undefined;
/**
 * This thread's zstd compression context (a pointer into its wasm heap), made once and reused for every chunk. Why:
 * the module's simple compress() is ZSTD_compress, which builds and frees a context (its match tables) per call;
 * ZSTD_compress_usingDict with no dictionary on a kept context is ZSTD_compressCCtx and writes the same frame
 * (tested byte for byte), ~15-20% less CPU over the quick bench corpus's small files (docs/store.md "Compression").
 */
let zstdContext: number | undefined;
/** An empty dictionary: ZSTD_compress_usingDict with dictSize 0 uses none. */
const NO_DICTIONARY = new Uint8Array(0);

/**
 * Loads the zstd WebAssembly module in this thread (once; later calls return the same promise). openStore and every
 * worker thread that compresses or reads chunks await it at start-up, so no synchronous call below ever waits.
 */
export function readyCodecs(): Promise<void> {
  zstdLoading ??= zstdInit().then(() => {
    zstdReady = true;
  });
  return zstdLoading;
}

function assertReady(): void {
  assert(zstdReady, 'zstd used before readyCodecs() resolved in this thread');
}

export interface CompressedChunk {
  codec: ChunkCodec;
  data: Uint8Array;
}

/** True when compressing saved at least 1/8 of the input. */
function pays(rawBytes: number, compressedBytes: number): boolean {
  return compressedBytes <= rawBytes - rawBytes / 8;
}

/** Four byte histograms side by side (byteEntropy), reused by every call on this thread. */
const histograms = new Uint32Array(4 * 256);

/**
 * Order-0 entropy of `sample` in bits per byte (8 = indistinguishable from random). Four bytes at a time into four
 * histograms, summed per byte value: consecutive equal bytes no longer wait on each other's increment (measured: 2,000
 * samples of 8 KiB, 30-44 → 15-22 ms; it runs for every new chunk of at least compressBytesMin). The counts, and so
 * the result, are exactly those of one histogram.
 */
export function byteEntropy(sample: Uint8Array): number {
  const counts = histograms;
  counts.fill(0);
  const length = sample.length;
  const fourEnd = length - (length & 3);
  let i = 0;
  for (; i < fourEnd; i += 4) {
    counts[sample[i]!]!++;
    counts[256 + sample[i + 1]!]!++;
    counts[512 + sample[i + 2]!]!++;
    counts[768 + sample[i + 3]!]!++;
  }
  for (; i < length; i++) counts[sample[i]!]!++;
  let bits = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b]! + counts[256 + b]! + counts[512 + b]! + counts[768 + b]!;
    if (c > 0) bits -= c * Math.log2(c / length);
  }
  return length === 0 ? 0 : bits / length;
}

/** Above this order-0 entropy a sample is taken as incompressible (random, encrypted, already compressed). */
const INCOMPRESSIBLE_BITS_PER_BYTE = 7.5;

function pack(data: Uint8Array, codec: ChunkCodec): Uint8Array {
  if (codec === 'zstd') {
    assertReady();
    // A fresh Uint8Array with its own ArrayBuffer (a copy out of the wasm heap): safe to transfer between threads.
    zstdContext ??= zstdCreateContext();
    assert(zstdContext !== 0, 'zstd could not make a compression context');
    const frame = zstdCompressWith(zstdContext, data, NO_DICTIONARY, ZSTD_LEVEL);
    // A frame is never decompressed before it is stored: one whose header does not declare exactly this chunk's size
    // (a broken compressor, e.g. the wasm module re-initialised under the kept context) would only fail when read,
    // its bytes lost. Checked here it fails the ingest instead, with nothing written.
    assert(zstdFrameContentSize(frame) === data.length, `zstd wrote a frame that does not declare the chunk's ${data.length} bytes`);
    return frame;
  }
  // A copy with its own ArrayBuffer: zlib may hand back a view of a larger (or pooled) buffer.
  return new Uint8Array(deflateRawSync(data, { level: DEFLATE_LEVEL }));
}

/**
 * Chooses raw or `codec` (zstd unless a caller needs format-1 chunks) for one chunk. A byte histogram of a sample
 * from the middle decides first, so incompressible data (media, archives, random) costs one pass over a few KiB
 * instead of a compression; anything else is compressed whole and kept only if that saved at least 1/8.
 */
export function compressChunk(data: Uint8Array, mode: CompressionMode, codec: ChunkCodec = WRITE_CODEC): CompressedChunk {
  if (mode === 'none' || codec === 'raw' || data.length < LIMITS.compressBytesMin) return { codec: 'raw', data };
  const sampleBytes = Math.min(LIMITS.compressSampleBytes, data.length);
  const from = Math.floor((data.length - sampleBytes) / 2);
  if (byteEntropy(data.subarray(from, from + sampleBytes)) >= INCOMPRESSIBLE_BITS_PER_BYTE) return { codec: 'raw', data };
  const packed = pack(data, codec);
  if (!pays(data.length, packed.length)) return { codec: 'raw', data };
  return { codec, data: packed };
}

const inflateRawAsync = promisify(inflateRaw);

/** Decompresses a stored chunk, deflate off the main thread (zlib's pool); never produces more than `size` bytes. */
export async function decompressChunk(codec: ChunkCodec, data: Uint8Array, size: number): Promise<Uint8Array> {
  if (codec === 'raw') return data;
  if (codec === 'zstd') return decompressChunkSync(codec, data, size);
  const out = await inflateRawAsync(data, { maxOutputLength: Math.max(1, size) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** zlib's smallest output chunk. */
const ZLIB_CHUNK_BYTES_MIN = 64;

/**
 * Decompresses on the calling thread. Deflate's output buffer is sized for the whole chunk (one byte more, so a chunk
 * that would inflate past `size` still fails on maxOutputLength): zlib's default 16 KiB pieces cost a concat and extra
 * allocations for every chunk over 16 KiB (measured ~20% of inflate time over 1–200 KB text chunks).
 */
export function decompressChunkSync(codec: ChunkCodec, data: Uint8Array, size: number): Uint8Array {
  if (codec === 'raw') return data;
  if (codec === 'zstd') return unzstd(data, size);
  const out = inflateRawSync(data, { maxOutputLength: Math.max(1, size), chunkSize: Math.max(ZLIB_CHUNK_BYTES_MIN, size + 1) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * One zstd frame back to exactly `size` bytes. The frame's declared content size is checked against `size` before
 * anything is allocated: the wasm decoder sizes its output buffer from that field (and grows its heap up to 2 GiB
 * for it), so a hostile frame claiming a huge size must never reach it. The decoder's output capacity is then
 * `size`, so a frame that decodes longer (a second frame appended) fails instead of growing.
 */
function unzstd(data: Uint8Array, size: number): Uint8Array {
  assertReady();
  const declared = zstdFrameContentSize(data);
  if (declared === undefined) throw new Error('not a zstd frame with a declared content size');
  if (declared !== size) throw new Error(`zstd frame declares ${declared} bytes, the record ${size}`);
  let out: Uint8Array;
  try {
    out = zstdDecompress(data, { defaultHeapSize: Math.max(1, size) });
  } catch (error) {
    throw new Error(`zstd frame does not decode (${(error as Error).message})`);
  }
  if (out.length !== size) throw new Error(`zstd frame decoded to ${out.length} bytes, expected ${size}`);
  return out;
}

const ZSTD_MAGIC = 0xfd2fb528;
/** Frame_Content_Size field bytes by FCS flag (RFC 8878 3.1.1.1.1); flag 0 means 1 byte only in a single segment. */
const FCS_BYTES = [0, 2, 4, 8] as const;
const DICT_ID_BYTES = [0, 1, 2, 4] as const;

/**
 * The content size a zstd frame's header declares (RFC 8878 3.1.1), or undefined when `data` does not start with a
 * frame header that declares one (synclog's writer always declares it; a chunk without it is refused).
 */
export function zstdFrameContentSize(data: Uint8Array): number | undefined {
  if (data.length < 5) return undefined;
  const magic = (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) return undefined;
  const descriptor = data[4]!;
  const fcsFlag = descriptor >>> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  if ((descriptor & 0x08) !== 0) return undefined; // reserved bit
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : FCS_BYTES[fcsFlag]!;
  if (fcsBytes === 0) return undefined;
  const at = 5 + (singleSegment ? 0 : 1) + DICT_ID_BYTES[descriptor & 0x03]!;
  if (at + fcsBytes > data.length) return undefined;
  let value = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) value = value * 256 + data[at + i]!;
  // The 2-byte field is offset by 256 (RFC 8878); an 8-byte value past 2^53 is far beyond any record anyway.
  return fcsBytes === 2 ? value + 256 : value;
}
