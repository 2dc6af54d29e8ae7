// Content-defined chunking (FastCDC-style gear hash with normalized chunking). Owns where chunk boundaries fall;
// never hashes, compresses or does I/O. Invariant: boundaries depend only on the bytes (and the fixed GEAR table and
// sizes), never on how the input was split into blocks, so the same content always yields the same chunks.
// The GEAR table and the masks are part of the format: changing them does not corrupt a log, but it ends dedup
// against chunks written before (docs/store.md "Chunking").
import { assert } from '../util/assert.js';
import { BufferPool } from '../util/buffer-pool.js';
import { LIMITS } from '../util/limits.js';

export interface ChunkSizes {
  chunkBytesMin: number;
  chunkBytesAvg: number;
  chunkBytesMax: number;
}

export const DEFAULT_CHUNK_SIZES: ChunkSizes = {
  chunkBytesMin: LIMITS.chunkBytesMin,
  chunkBytesAvg: LIMITS.chunkBytesAvg,
  chunkBytesMax: LIMITS.chunkBytesMax,
};

/** The gear table's seed: recorded in a log's params record (store-params.ts). */
export const GEAR_SEED = 0x5ec1_0c00;

/** 256 fixed pseudo-random 32-bit values (splitmix32 from a fixed seed): deterministic on every machine. */
export const GEAR: Uint32Array = (() => {
  const table = new Uint32Array(256);
  let state = GEAR_SEED;
  for (let i = 0; i < 256; i++) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return table;
})();

/** A mask of `bits` ones in the high end of a 32-bit word: high bits of a gear hash depend on the last 32 bytes. */
function highMask(bits: number): number {
  return bits <= 0 ? 0 : (0xffffffff << (32 - bits)) | 0;
}

interface Masks {
  /** Harder condition before the average size (FastCDC normalization level 2: two more bits). */
  small: number;
  /** Easier condition after it. */
  large: number;
}

function masksFor(sizes: ChunkSizes): Masks {
  const bits = Math.round(Math.log2(sizes.chunkBytesAvg));
  return { small: highMask(bits + 2), large: highMask(bits - 2) };
}

function checkSizes(sizes: ChunkSizes): void {
  assert(sizes.chunkBytesMin >= 64 && sizes.chunkBytesMin <= sizes.chunkBytesAvg, 'chunkBytesMin out of range');
  assert(sizes.chunkBytesAvg <= sizes.chunkBytesMax, 'chunkBytesAvg above chunkBytesMax');
  assert(sizes.chunkBytesMax <= LIMITS.recordBytesMax / 2, 'chunkBytesMax too large for one record');
}

/** Where `scanForCut` left the gear hash when it found no cut (its second call continues from it). */
const scanState = { hash: 0 };

/**
 * The gear-hash loop: the first position in `[from, to)` whose hash has no bit of `mask` set, plus one, or -1 when
 * there is none (then `scanState.hash` holds the hash at `to`). One function serves both halves of a chunk (before
 * and after the average size) so V8 optimizes one loop with full type feedback; two inline loops, the second
 * rarely reached, kept deoptimizing and ran at ~40% of this speed (measured, docs/store.md "Chunking").
 */
function scanForCut(data: Uint8Array, from: number, to: number, mask: number, hashIn: number): number {
  let hash = hashIn;
  for (let i = from; i < to; i++) {
    hash = ((hash << 1) + GEAR[data[i]!]!) | 0;
    if ((hash & mask) === 0) return i + 1;
  }
  scanState.hash = hash;
  return -1;
}

/**
 * Length of the next chunk in `data[start, end)`. When `final` is false and no boundary is found before the end,
 * returns 0 (more input is needed). Pure: no allocation.
 */
export function nextBoundary(data: Uint8Array, start: number, end: number, final: boolean, sizes: ChunkSizes, masks: Masks = masksFor(sizes)): number {
  const available = end - start;
  if (available < sizes.chunkBytesMax && !final) return 0;
  if (available <= sizes.chunkBytesMin) return available;
  const limit = start + Math.min(available, sizes.chunkBytesMax);
  const normal = Math.min(limit, start + sizes.chunkBytesAvg);
  const from = start + sizes.chunkBytesMin;
  scanState.hash = 0;
  // The small (harder) mask before the average size, then the large (easier) one, the hash carried across.
  let cut = from < normal ? scanForCut(data, from, normal, masks.small, 0) : -1;
  if (cut < 0) cut = scanForCut(data, Math.max(from, normal), limit, masks.large, scanState.hash);
  return (cut < 0 ? limit : cut) - start;
}

/**
 * Length of the next chunk in `data[start, end)` as `nextBoundary` would find it with all the input, or 0 when more
 * input is needed to know. Unlike nextBoundary it also finds a cut when fewer than chunkBytesMax bytes are there and
 * more may follow: a cut's position depends only on the bytes before it (the positions scanned and the mask at each
 * are fixed relative to `start`), so a cut found in a prefix is the cut the whole input has.
 */
export function boundaryIn(data: Uint8Array, start: number, end: number, final: boolean, sizes: ChunkSizes, masks: Masks): number {
  const available = end - start;
  if (available <= sizes.chunkBytesMin) return final ? available : 0;
  const limit = start + Math.min(available, sizes.chunkBytesMax);
  const normal = Math.min(limit, start + sizes.chunkBytesAvg);
  const from = start + sizes.chunkBytesMin;
  scanState.hash = 0;
  let cut = from < normal ? scanForCut(data, from, normal, masks.small, 0) : -1;
  if (cut < 0) cut = scanForCut(data, Math.max(from, normal), limit, masks.large, scanState.hash);
  if (cut >= 0) return cut - start;
  return final || available >= sizes.chunkBytesMax ? limit - start : 0;
}

/**
 * Chunker that cuts the caller's blocks in place: a chunk that lies inside one block comes back as a view into it
 * (no copy); only a chunk that spans blocks is assembled in the carry buffer and comes back as a fresh copy. Why: the
 * copying Chunker moved every byte twice (into its buffer, then out as a chunk), ~45% of a worker's time on a
 * 100 MiB file whose chunks were all stored already (docs/store.md "Large files"). Same cut points as Chunker
 * (a property test holds them equal). The caller must not reuse a block while it still needs its chunks.
 */
export class BlockChunker {
  private readonly sizes: ChunkSizes;
  private readonly masks: Masks;
  /** chunkBytesMax bytes: the start of a chunk whose end is not yet known (a pooled buffer may be passed in). */
  readonly carry: Uint8Array;
  private carried = 0;

  constructor(sizes: ChunkSizes = DEFAULT_CHUNK_SIZES, carry?: Uint8Array) {
    checkSizes(sizes);
    this.sizes = sizes;
    this.masks = masksFor(sizes);
    assert(carry === undefined || carry.length === sizes.chunkBytesMax, 'carry buffer of the wrong size');
    this.carry = carry ?? new Uint8Array(sizes.chunkBytesMax);
  }

  /** Adds a block; returns the chunks completed by it (views into `block`, or fresh copies), possibly none. */
  push(block: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    if (this.carried > 0) {
      // Complete the carried chunk: at most chunkBytesMax bytes in all, so it always fits the carry buffer.
      const take = Math.min(block.length, this.sizes.chunkBytesMax - this.carried);
      this.carry.set(block.subarray(0, take), this.carried);
      const length = boundaryIn(this.carry, 0, this.carried + take, false, this.sizes, this.masks);
      if (length === 0) {
        this.carried += take;
        return out;
      }
      out.push(this.carry.slice(0, length));
      at = length - this.carried; // the cut lies past the bytes carried before (none of them had one)
      assert(at > 0, 'a cut inside bytes that were carried for having none');
      this.carried = 0;
    }
    for (;;) {
      const length = boundaryIn(block, at, block.length, false, this.sizes, this.masks);
      if (length === 0) break;
      out.push(block.subarray(at, at + length));
      at += length;
    }
    this.carry.set(block.subarray(at), 0);
    this.carried = block.length - at;
    return out;
  }

  /** Ends the input; returns the remaining chunks (fresh copies). The chunker is reset and can be reused. */
  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < this.carried) {
      const length = boundaryIn(this.carry, at, this.carried, true, this.sizes, this.masks);
      out.push(this.carry.slice(at, at + length));
      at += length;
    }
    this.carried = 0;
    return out;
  }
}

/**
 * Every chunk of `data` taken as the whole input, as views into it: the cuts Chunker and BlockChunker make of the
 * same bytes (a property test holds them equal). For content read whole (a small file): no carry buffer, no copy,
 * and each byte scanned once, where a BlockChunker carried the uncut tail (all of a small file) and scanned it again
 * at finish().
 */
export function chunkWhole(data: Uint8Array, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): Uint8Array[] {
  checkSizes(sizes);
  const masks = masksFor(sizes);
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; ) {
    const length = nextBoundary(data, at, data.length, true, sizes, masks);
    out.push(data.subarray(at, at + length));
    at += length;
  }
  return out;
}

/** Bytes of a chunker's working buffer: two maximal chunks, so a cut can always be searched without copying. */
export function chunkerBufferBytes(sizes: ChunkSizes): number {
  return sizes.chunkBytesMax * 2;
}

/**
 * Streaming chunker: push blocks of any size, get back whole chunks (fresh copies, each with its own ArrayBuffer so
 * it can be transferred to another thread). Holds at most one buffer of 2 × chunkBytesMax.
 */
export class Chunker {
  private readonly sizes: ChunkSizes;
  private readonly masks: Masks;
  /** The working buffer (`chunkerBufferBytes(sizes)`); a pooled one may be passed in and taken back after use. */
  readonly buffer: Uint8Array;
  private start = 0;
  private end = 0;

  constructor(sizes: ChunkSizes = DEFAULT_CHUNK_SIZES, buffer?: Uint8Array) {
    checkSizes(sizes);
    this.sizes = sizes;
    this.masks = masksFor(sizes);
    assert(buffer === undefined || buffer.length === chunkerBufferBytes(sizes), 'chunker buffer of the wrong size');
    // A reused buffer may hold an earlier file's bytes: only [start, end) is ever read, and both start at 0.
    this.buffer = buffer ?? new Uint8Array(chunkerBufferBytes(sizes));
  }

  /** Adds input; returns the chunks completed by it (possibly none). */
  push(block: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < block.length) {
      if (this.end === this.buffer.length) this.compact();
      const take = Math.min(block.length - at, this.buffer.length - this.end);
      this.buffer.set(block.subarray(at, at + take), this.end);
      this.end += take;
      at += take;
      this.drain(false, out);
    }
    return out;
  }

  /** Ends the input; returns the remaining chunks. The chunker is reset and can be reused. */
  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.drain(true, out);
    assert(this.start === this.end, 'chunker left bytes behind');
    this.start = 0;
    this.end = 0;
    return out;
  }

  private drain(final: boolean, out: Uint8Array[]): void {
    while (this.end > this.start) {
      const length = nextBoundary(this.buffer, this.start, this.end, final, this.sizes, this.masks);
      if (length === 0) return;
      out.push(this.buffer.slice(this.start, this.start + length));
      this.start += length;
    }
  }

  private compact(): void {
    this.buffer.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
}

/**
 * chunkStream's working buffers (default sizes): a fresh one per stream was 512 KiB to zero and collect per file, most
 * of a plain tarball import's main-thread time (10,000 files: 0.8 s of zeroing and ~1.9 s more GC than with the pool).
 */
const streamBuffers = new BufferPool(chunkerBufferBytes(DEFAULT_CHUNK_SIZES), LIMITS.chunkerBuffersPooledMax);

/** Chunks a stream of blocks; a file is never held whole, only one chunker buffer and one block. */
export async function* chunkStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): AsyncGenerator<Uint8Array> {
  const pooled = sizes === DEFAULT_CHUNK_SIZES;
  const chunker = new Chunker(sizes, pooled ? streamBuffers.take() : undefined);
  try {
    for await (const block of source) yield* chunker.push(block);
    yield* chunker.finish();
  } finally {
    // Every chunk handed out is a copy, so the buffer is free however the stream ended (finished, failed, abandoned).
    if (pooled) streamBuffers.give(chunker.buffer);
  }
}
