// Segment header codec (docs/format.md "Segment header"): 40 bytes, little-endian, self-checksummed. Pure.
// Invariant: `decodeSegmentHeader` returns a header only when magic, version, algorithm, size and checksum all hold;
// the salt it returns seeds every frame checksum in that segment.
import { xxh64 } from './checksum.js';
import {
  CHECKSUM_XXH64,
  FORMAT_VERSION,
  FORMAT_VERSION_RETENTION,
  FORMAT_VERSIONS_READABLE,
  HEADER_OFFSET,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
} from './format.js';
import { assert } from '../util/assert.js';

export interface SegmentHeader {
  formatVersion: number;
  checksumAlgorithm: number;
  baseSeq: number;
  /** Random per segment; seeds frame checksums so a frame copied into another segment fails. */
  salt: bigint;
}

export type SegmentHeaderResult =
  | { kind: 'header'; header: SegmentHeader }
  | { kind: 'incomplete' }
  | { kind: 'unsupported'; found: number }
  | { kind: 'bad'; reason: string };

export function encodeSegmentHeader(baseSeq: number, salt: bigint, formatVersion: number = FORMAT_VERSION): Uint8Array {
  assert(Number.isSafeInteger(baseSeq) && baseSeq >= 0, 'base seq is a safe non-negative integer');
  assert(formatVersion === FORMAT_VERSION || formatVersion === FORMAT_VERSION_RETENTION, 'a writer writes only its own format versions');
  const out = new Uint8Array(SEGMENT_HEADER_BYTES);
  const v = new DataView(out.buffer);
  out.set(SEGMENT_MAGIC, HEADER_OFFSET.magic);
  v.setUint16(HEADER_OFFSET.version, formatVersion, true);
  out[HEADER_OFFSET.checksumAlgorithm] = CHECKSUM_XXH64;
  out[HEADER_OFFSET.reserved] = 0;
  v.setUint32(HEADER_OFFSET.headerBytes, SEGMENT_HEADER_BYTES, true);
  v.setBigUint64(HEADER_OFFSET.baseSeq, BigInt(baseSeq), true);
  v.setBigUint64(HEADER_OFFSET.salt, salt, true);
  v.setBigUint64(HEADER_OFFSET.checksum, xxh64(out.subarray(0, HEADER_OFFSET.checksum), 0n), true);
  return out;
}

export function decodeSegmentHeader(bytes: Uint8Array): SegmentHeaderResult {
  if (bytes.length < SEGMENT_HEADER_BYTES) return { kind: 'incomplete' };
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
    if (bytes[HEADER_OFFSET.magic + i] !== SEGMENT_MAGIC[i]) return { kind: 'bad', reason: 'bad-magic' };
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const formatVersion = v.getUint16(HEADER_OFFSET.version, true);
  // The version is read before the checksum: a future version may checksum differently.
  if (!FORMAT_VERSIONS_READABLE.includes(formatVersion)) return { kind: 'unsupported', found: formatVersion };
  const stored = v.getBigUint64(HEADER_OFFSET.checksum, true);
  if (xxh64(bytes.subarray(0, HEADER_OFFSET.checksum), 0n) !== stored) return { kind: 'bad', reason: 'header-checksum-mismatch' };
  const checksumAlgorithm = bytes[HEADER_OFFSET.checksumAlgorithm]!;
  if (checksumAlgorithm !== CHECKSUM_XXH64) return { kind: 'bad', reason: `unknown-checksum-algorithm-${checksumAlgorithm}` };
  if (bytes[HEADER_OFFSET.reserved] !== 0) return { kind: 'bad', reason: 'reserved-byte-set' };
  if (v.getUint32(HEADER_OFFSET.headerBytes, true) !== SEGMENT_HEADER_BYTES) return { kind: 'bad', reason: 'bad-header-size' };
  const base = v.getBigUint64(HEADER_OFFSET.baseSeq, true);
  if (base > BigInt(Number.MAX_SAFE_INTEGER)) return { kind: 'bad', reason: 'base-seq-too-large' };
  return {
    kind: 'header',
    header: { formatVersion, checksumAlgorithm, baseSeq: Number(base), salt: v.getBigUint64(HEADER_OFFSET.salt, true) },
  };
}
