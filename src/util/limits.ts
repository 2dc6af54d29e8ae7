// Every bound on a queue, buffer, input or path in one table (TigerBeetle: a named limit on everything).
// Units last in names. Changing a limit that shapes bytes on disk (recordBytesMax) is a format change: see docs/format.md.

export const LIMITS = {
  /** Largest payload one log record may carry. Readers refuse a frame claiming more, whatever the file size. */
  recordBytesMax: 64 * 1024 * 1024,
  /** Default size at which the writer rolls to a new segment. */
  segmentBytesDefault: 64 * 1024 * 1024,
  /** Most records (and bytes) the writer puts under one fsync (group commit). */
  groupCommitRecordsMax: 4096,
  groupCommitBytesMax: 16 * 1024 * 1024,
  /** Pending appends the writer queues before callers must wait (back-pressure). */
  appendQueueBytesMax: 256 * 1024 * 1024,
  /** A relative path inside a watch root: bytes (UTF-8) and components. */
  pathBytesMax: 4096,
  pathDepthMax: 256,
  /** One path component (a file name), bytes (UTF-8): the common filesystem limit. */
  pathComponentBytesMax: 255,
  /** Content-defined chunking sizes (see docs/format.md "Chunking" for the measurement behind them). */
  chunkBytesMin: 16 * 1024,
  chunkBytesAvg: 64 * 1024,
  chunkBytesMax: 256 * 1024,
  /** Symlink target length stored in a version record. */
  symlinkTargetBytesMax: 4096,
  /** Archive import: total bytes unpacked and the ratio unpacked/packed before it is called a bomb. */
  archiveBytesMaxDefault: 64 * 1024 * 1024 * 1024,
  archiveRatioMaxDefault: 1000,
  archiveEntriesMax: 10_000_000,
  archiveManifestBytesMax: 512 * 1024 * 1024,
} as const;

export type LimitName = keyof typeof LIMITS;
