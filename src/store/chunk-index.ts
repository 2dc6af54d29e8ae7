// The dedup index: chunk id → (segment, offset, size). Owns only memory; never reads the log (the store fills it
// from chunk records, the checkpoint module saves and loads it). Invariant: an id is present only after its chunk
// record is durable in the log, and the location is that record's frame.
//
// Layout (for ≤ ~64 bytes per chunk): entries live in dense typed arrays grown in fixed blocks (no doubling slack),
// full 32-byte ids included (no truncation, so no false dedup); an open-addressing table of u32 entry numbers
// (linear probing, load ≤ 3/4) points into them. The probe starts from the id's first 4 bytes: ids are BLAKE3, so
// they are uniform unless someone grinds ids on purpose, which costs them only lookup speed.
import { assert } from '../util/assert.js';
import { LimitError } from '../errors.js';
import { LIMITS } from '../util/limits.js';
import { CONTENT_ID_BYTES } from './content-id.js';
import type { ContentIdBytes } from '../record/index.js';

/** Entries per block of the dense arrays (one block = 44 bytes × this). */
const BLOCK_ENTRIES = 16_384;
const EMPTY = 0xffffffff;

export interface ChunkLocation {
  segment: string;
  offset: number;
  /** Uncompressed size. */
  size: number;
}

class Block {
  readonly ids = new Uint8Array(BLOCK_ENTRIES * CONTENT_ID_BYTES);
  /** segment number (into ChunkIndex.segmentNames), byte offset, uncompressed size */
  readonly meta = new Uint32Array(BLOCK_ENTRIES * 3);
}

export class ChunkIndex {
  private blocks: Block[] = [];
  private table = new Uint32Array(1024).fill(EMPTY);
  private mask = 1023;
  private segmentNames: string[] = [];
  private segmentNumbers = new Map<string, number>();
  count = 0;
  /** Sum of the uncompressed sizes of all indexed chunks. */
  uniqueBytes = 0;

  /** Bytes of memory the index holds (typed arrays), for the ≤ 64 bytes/chunk budget. */
  get memoryBytes(): number {
    return this.blocks.length * (BLOCK_ENTRIES * (CONTENT_ID_BYTES + 12)) + this.table.byteLength;
  }

  has(id: ContentIdBytes): boolean {
    return this.find(id) !== EMPTY;
  }

  get(id: ContentIdBytes): ChunkLocation | undefined {
    const entry = this.find(id);
    if (entry === EMPTY) return undefined;
    const block = this.blocks[Math.floor(entry / BLOCK_ENTRIES)]!;
    const at = (entry % BLOCK_ENTRIES) * 3;
    return { segment: this.segmentNames[block.meta[at]!]!, offset: block.meta[at + 1]!, size: block.meta[at + 2]! };
  }

  /** Adds an id (no-op when present: the first copy in the log wins). Returns true when it was new. */
  add(id: ContentIdBytes, location: ChunkLocation): boolean {
    assert(id.length === CONTENT_ID_BYTES, 'chunk id is not 32 bytes');
    assert(location.offset >= 0 && location.offset <= 0xffffffff && location.size <= 0xffffffff, 'chunk location out of u32 range');
    if (this.find(id) !== EMPTY) return false;
    if (this.count >= LIMITS.chunkIndexEntriesMax) {
      throw new LimitError('too many chunks for the dedup index', { limit: 'chunkIndexEntriesMax', value: this.count + 1, max: LIMITS.chunkIndexEntriesMax });
    }
    if ((this.count + 1) * 4 > this.table.length * 3) this.grow();
    const entry = this.count;
    if (entry % BLOCK_ENTRIES === 0) this.blocks.push(new Block());
    const block = this.blocks[this.blocks.length - 1]!;
    const at = entry % BLOCK_ENTRIES;
    block.ids.set(id, at * CONTENT_ID_BYTES);
    block.meta[at * 3] = this.segmentNumber(location.segment);
    block.meta[at * 3 + 1] = location.offset;
    block.meta[at * 3 + 2] = location.size;
    this.insertSlot(id, entry);
    this.count++;
    this.uniqueBytes += location.size;
    return true;
  }

  /** Every entry in insertion order (checkpoint writing, verify's reverse lookup). */
  *entries(): IterableIterator<{ id: ContentIdBytes } & ChunkLocation> {
    for (let entry = 0; entry < this.count; entry++) {
      const block = this.blocks[Math.floor(entry / BLOCK_ENTRIES)]!;
      const at = entry % BLOCK_ENTRIES;
      yield {
        id: block.ids.slice(at * CONTENT_ID_BYTES, (at + 1) * CONTENT_ID_BYTES),
        segment: this.segmentNames[block.meta[at * 3]!]!,
        offset: block.meta[at * 3 + 1]!,
        size: block.meta[at * 3 + 2]!,
      };
    }
  }

  private segmentNumber(name: string): number {
    let number = this.segmentNumbers.get(name);
    if (number === undefined) {
      number = this.segmentNames.length;
      this.segmentNames.push(name);
      this.segmentNumbers.set(name, number);
    }
    return number;
  }

  private startSlot(id: Uint8Array, offset: number): number {
    return ((id[offset]! | (id[offset + 1]! << 8) | (id[offset + 2]! << 16) | (id[offset + 3]! << 24)) >>> 0) & this.mask;
  }

  private find(id: ContentIdBytes): number {
    if (id.length !== CONTENT_ID_BYTES) return EMPTY;
    for (let slot = this.startSlot(id, 0); ; slot = (slot + 1) & this.mask) {
      const entry = this.table[slot]!;
      if (entry === EMPTY) return EMPTY;
      if (this.idEquals(entry, id)) return entry;
    }
  }

  private idEquals(entry: number, id: Uint8Array): boolean {
    const ids = this.blocks[Math.floor(entry / BLOCK_ENTRIES)]!.ids;
    const base = (entry % BLOCK_ENTRIES) * CONTENT_ID_BYTES;
    for (let i = 0; i < CONTENT_ID_BYTES; i++) if (ids[base + i] !== id[i]) return false;
    return true;
  }

  private insertSlot(id: Uint8Array, entry: number): void {
    let slot = this.startSlot(id, 0);
    while (this.table[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.table[slot] = entry;
  }

  private grow(): void {
    const size = this.table.length * 2;
    this.table = new Uint32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (let entry = 0; entry < this.count; entry++) {
      const ids = this.blocks[Math.floor(entry / BLOCK_ENTRIES)]!.ids;
      const base = (entry % BLOCK_ENTRIES) * CONTENT_ID_BYTES;
      this.insertSlot(ids.subarray(base, base + CONTENT_ID_BYTES), entry);
    }
  }
}
