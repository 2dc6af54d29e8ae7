// The store's only import point: content-addressed, deduplicated chunks over the log, the history catalog and the
// stat cache (contract: ./types.ts).
export * from './types.js';
export { openStore, defaultWorkerCount, Store, STAT_CACHE_FILE_NAME, type CatalogOpenReport, type IndexOpenReport } from './store.js';
export { BlockChunker, Chunker, chunkStream, chunkWhole, nextBoundary, DEFAULT_CHUNK_SIZES, GEAR, type ChunkSizes } from './chunker.js';
export { hashContent, ContentHasher, sameContentId, contentIdHex, isContentIdHex, CONTENT_ID_BYTES } from './content-id.js';
export { compressChunk, decompressChunk, readyCodecs, WRITE_CODEC, zstdFrameContentSize, type CompressionMode } from './compress.js';
export { checkChunkPayload, checkChunkRecord, checkFetchedChunk, checkChunkSize, readChunkAtSync, type RecordReaderSync } from './chunk-reader.js';
export { ChunkIndex, type ChunkLocation } from './chunk-index.js';
export { StatCache } from './stat-cache.js';
export { Catalog } from './catalog.js';
export { INGEST_COUNTERS } from './ingest.js';
export { WorkerPool } from './worker-pool.js';
export { InlineProcessor, type ChunkProcessor, type ChunkSession, type HashedChunk } from './chunk-processor.js';
export { CHECKPOINT_FILE_NAME } from './index-checkpoint.js';
export { CATALOG_CHECKPOINT_FILE_NAME } from './catalog-checkpoint.js';
export { FileChangedError } from '../errors.js';
export { FORMAT_1_PARAMS, writeParams } from './store-params.js';
