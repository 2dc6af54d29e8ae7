// The numbers that shape synclog's bytes on disk: the only code home of docs/format.md's constants (LevelDB's
// log_format.h). Writer, reader, verify and index all import from here; nothing else defines a size or a magic.
// Invariant: changing any value here is a format change (new FORMAT_VERSION and a "Changes" entry in docs/format.md).
import { assert } from '../util/assert.js';
import { LIMITS } from '../util/limits.js';

/** docs/format.md "Segment header": the 8 magic bytes "SYNCLOG\n". */
export const SEGMENT_MAGIC = Uint8Array.from([0x53, 0x59, 0x4e, 0x43, 0x4c, 0x4f, 0x47, 0x0a]);
/** docs/format.md "Changes": the version this code writes; the versions it reads. */
export const FORMAT_VERSION = 2;
export const FORMAT_VERSIONS_READABLE: readonly number[] = [1, 2, 3];
/**
 * docs/format.md "Retention (format version 3)": the version of segments a prune rewrote and of every segment a log
 * gets once it holds a forget record (tags 6 and 7 appear only in such segments, so an older synclog refuses them
 * by version, never as corruption). A writer appends to a version-3 newest segment and rolls to version 3.
 */
export const FORMAT_VERSION_RETENTION = 3;
/** docs/format.md "Checksum": algorithm ids stored in the header. */
export const CHECKSUM_XXH64 = 1;

/** docs/format.md "Segment header": fixed size and field offsets. */
export const SEGMENT_HEADER_BYTES = 40;
export const HEADER_OFFSET = {
  magic: 0,
  version: 8,
  checksumAlgorithm: 10,
  reserved: 11,
  headerBytes: 12,
  baseSeq: 16,
  salt: 24,
  checksum: 32,
} as const;

/** docs/format.md "Frame": checksum u64 | length u32 | tag u8 | flags u8 | payload. */
export const FRAME_HEADER_BYTES = 14;
export const FRAME_OFFSET = { checksum: 0, length: 8, tag: 12, flags: 13, payload: 14 } as const;
/** The checksum covers the frame from the length field to the end of the payload. */
export const FRAME_CHECKSUM_START = 8;

/** docs/format.md "Frame": atomic-group flags (low two bits); every other bit must be zero in version 1. */
export const FRAME_FLAGS = { full: 0, first: 1, middle: 2, last: 3 } as const;
export type FrameFlags = (typeof FRAME_FLAGS)[keyof typeof FRAME_FLAGS];
export const FRAME_FLAGS_MASK = 0x03;
export const TAG_MAX = 255;

/** docs/format.md "Directory layout". */
export const SEGMENT_SUFFIX = '.seg';
export const INDEX_SUFFIX = '.idx';
export const LOCK_FILE_NAME = 'LOCK';
/** The durable watermark the writer publishes for readers in other processes (watermark.ts). */
export const WATERMARK_FILE_NAME = 'durable.seq';
export const SEQ_DIGITS = 20;
/** A log written by `synclog replicate` (replica-marker.ts): no other writer may append to it. */
export const REPLICA_FILE_NAME = 'REPLICA';
/** docs/format.md "Directory layout": the marker that makes a directory recognisable as a log (log-dir.ts). */
export const LOG_MARKER_FILE_NAME = 'SYNCLOG';
/** docs/format.md "Prune commit": the manifest whose rename commits a prune's rewritten segments. */
export const PRUNE_MANIFEST_FILE_NAME = 'PRUNE';
/** A rewritten segment (or its index) before the prune commits: `.<name>` + this suffix; readers ignore it. */
export const PRUNE_TEMP_SUFFIX = '.synclog-prune';
/** A marker is recognised by its first line; the rest is a note for whoever looks inside. */
export const LOG_MARKER_MAGIC = new TextEncoder().encode('synclog log\n');
export const LOG_MARKER_BYTES = new TextEncoder().encode('synclog log\nThis directory is a synclog log: do not edit or add files here (see docs/format.md).\n');

/** docs/format.md "Index files": magic "SYNCIDX\n", version, one entry per INDEX_INTERVAL_BYTES of segment. */
export const INDEX_MAGIC = Uint8Array.from([0x53, 0x59, 0x4e, 0x43, 0x49, 0x44, 0x58, 0x0a]);
export const INDEX_VERSION = 1;
export const INDEX_HEADER_BYTES = 40;
export const INDEX_ENTRY_BYTES = 12;
export const INDEX_INTERVAL_BYTES = 64 * 1024;

/** The largest frame a reader accepts: header plus the record limit. */
export const FRAME_BYTES_MAX = FRAME_HEADER_BYTES + LIMITS.recordBytesMax;

// Startup checks (TigerBeetle): the layout constants must agree with each other.
assert(SEGMENT_MAGIC.length === 8 && INDEX_MAGIC.length === 8, 'magic is 8 bytes');
assert(HEADER_OFFSET.checksum + 8 === SEGMENT_HEADER_BYTES, 'header checksum ends the header');
assert(FRAME_OFFSET.payload === FRAME_HEADER_BYTES, 'payload follows the frame header');
assert(LIMITS.recordBytesMax < 2 ** 32, 'length field is u32');
assert(Number.isSafeInteger(FRAME_BYTES_MAX), 'frame sizes are safe integers');
