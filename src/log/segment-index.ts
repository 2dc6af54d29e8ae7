// Sparse seq→offset index of a sealed segment (docs/format.md "Index files"): lets read(fromSeq) start near its
// seq instead of scanning the segment from its header. Derived data: rebuildable from the segment at any time and
// never trusted over it. An index is used only if its checksum holds and it names the segment's salt and size, and
// a reader still verifies the frame it jumps to (falling back to a scan from the header when that fails).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { xxh64 } from './checksum.js';
import { INDEX_ENTRY_BYTES, INDEX_HEADER_BYTES, INDEX_MAGIC, INDEX_VERSION } from './format.js';
import type { LogFileSystem } from './log-fs.js';
import { indexFileName } from './segment-name.js';

export interface IndexEntry {
  /** Frames before this one in the segment (its seq is baseSeq + relSeq). */
  relSeq: number;
  offset: number;
}

export interface SegmentIndex {
  salt: bigint;
  segmentBytes: number;
  records: number;
  entries: IndexEntry[];
}

const CHECKSUM_BYTES = 8;

export function encodeSegmentIndex(index: SegmentIndex): Uint8Array {
  const size = INDEX_HEADER_BYTES + index.entries.length * INDEX_ENTRY_BYTES + CHECKSUM_BYTES;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set(INDEX_MAGIC, 0);
  v.setUint32(8, INDEX_VERSION, true);
  v.setUint32(12, index.entries.length, true);
  v.setBigUint64(16, index.salt, true);
  v.setBigUint64(24, BigInt(index.segmentBytes), true);
  v.setBigUint64(32, BigInt(index.records), true);
  let at = INDEX_HEADER_BYTES;
  for (const entry of index.entries) {
    v.setUint32(at, entry.relSeq, true);
    v.setBigUint64(at + 4, BigInt(entry.offset), true);
    at += INDEX_ENTRY_BYTES;
  }
  v.setBigUint64(at, xxh64(out.subarray(0, at), 0n), true);
  return out;
}

/** The index, or undefined for anything that is not a sound index file (it is then ignored, never an error). */
export function decodeSegmentIndex(bytes: Uint8Array): SegmentIndex | undefined {
  if (bytes.length < INDEX_HEADER_BYTES + CHECKSUM_BYTES) return undefined;
  for (let i = 0; i < INDEX_MAGIC.length; i++) if (bytes[i] !== INDEX_MAGIC[i]) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(8, true) !== INDEX_VERSION) return undefined;
  const count = v.getUint32(12, true);
  const end = INDEX_HEADER_BYTES + count * INDEX_ENTRY_BYTES;
  if (bytes.length !== end + CHECKSUM_BYTES) return undefined;
  if (xxh64(bytes.subarray(0, end), 0n) !== v.getBigUint64(end, true)) return undefined;
  const entries: IndexEntry[] = [];
  for (let at = INDEX_HEADER_BYTES; at < end; at += INDEX_ENTRY_BYTES) {
    entries.push({ relSeq: v.getUint32(at, true), offset: Number(v.getBigUint64(at + 4, true)) });
  }
  return {
    salt: v.getBigUint64(16, true),
    segmentBytes: Number(v.getBigUint64(24, true)),
    records: Number(v.getBigUint64(32, true)),
    entries,
  };
}

/** Writes the index beside its segment (temp, fsync, rename; the caller fsyncs the directory). */
export async function writeSegmentIndex(dir: string, segmentName: string, index: SegmentIndex, fs: LogFileSystem): Promise<void> {
  await fs.writeFileAtomic(join(dir, indexFileName(segmentName)), encodeSegmentIndex(index), { skipDirSync: true });
}

/**
 * Reads the index of a segment if there is a sound one for exactly this segment (salt and size match). With
 * segmentBytes undefined, any size: a sound index for this salt still proves how many records were durable when the
 * segment was sealed (durable-floor.ts), even if the segment has since been cut.
 */
export async function readSegmentIndex(dir: string, segmentName: string, salt: bigint, segmentBytes: number | undefined): Promise<SegmentIndex | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, indexFileName(segmentName)));
  } catch {
    return undefined;
  }
  const index = decodeSegmentIndex(bytes);
  if (!index || index.salt !== salt || (segmentBytes !== undefined && index.segmentBytes !== segmentBytes)) return undefined;
  return index;
}

/** The last entry at or before relSeq (entries are in seq order), or undefined. */
export function findIndexEntry(entries: readonly IndexEntry[], relSeq: number): IndexEntry | undefined {
  let low = 0;
  let high = entries.length - 1;
  let found: IndexEntry | undefined;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const entry = entries[mid]!;
    if (entry.relSeq <= relSeq) {
      found = entry;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}
