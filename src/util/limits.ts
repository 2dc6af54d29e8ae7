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
  /** The ratio limit is checked only once this many bytes are unpacked (tar headers alone compress well). */
  archiveRatioCheckBytesMin: 1024 * 1024,
  archiveManifestBytesMax: 512 * 1024 * 1024,
  /** Store ingest (docs/store.md): bytes read from a file per step and handed to a chunker. */
  ingestBlockBytes: 1024 * 1024,
  /** Bytes one ingest may have in flight (read but not yet chunked, hashed, compressed and appended). */
  ingestInFlightBytesMax: 16 * 1024 * 1024,
  /** Files (and streams) at most this size are chunked and hashed on the calling thread: a worker round trip costs more. */
  ingestInlineBytesMax: 64 * 1024,
  /** Store worker threads (chunk, hash, compress) at most. */
  storeWorkersMax: 16,
  /** Jobs (compress requests, blocks to chunk) queued per worker before submitters wait. */
  storeWorkerQueueJobsMax: 64,
  /** Chunks smaller than this are stored raw; a sample of this size decides whether a larger chunk is worth compressing. */
  compressBytesMin: 512,
  compressSampleBytes: 8 * 1024,
  /** Chunk ids in the dedup index at most (its typed arrays grow up to this). */
  chunkIndexEntriesMax: 256 * 1024 * 1024,
  /** Write a chunk index checkpoint once this many chunks were indexed since the last one (also on close). */
  chunkIndexCheckpointEveryChunks: 65_536,
  /** Largest index checkpoint or stat cache file read back (bigger is treated as damaged and rebuilt). */
  storeDerivedFileBytesMax: 4 * 1024 * 1024 * 1024 - 1,
  /** A stat cache entry is trusted only if the file's ctime is this much older than when its content was read (racy-git rule; covers 2 s FAT timestamps). */
  statCacheRacyWindowMs: 2_500,
  /** Stat cache entries at most. */
  statCacheEntriesMax: 10_000_000,
  /** Chunks a content reader fetches ahead of the one being consumed. */
  storeReadAheadChunks: 4,
} as const;

export type LimitName = keyof typeof LIMITS;
