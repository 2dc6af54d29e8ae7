// The log (src/log): an append-only, payload-agnostic segment log. The only import point for other parts.
export { Log, LOG_EVENTS, type LogEventMap } from './log.js';
export { verifyLog } from './verify.js';
export { checkLogDir, inspectLogDir, type LogDirKind } from './log-dir.js';
export { REAL_LOG_FILE_SYSTEM, type LogFileSystem } from './log-fs.js';
export { acquireFileLock, type LogLock } from './lock.js';
export { SegmentReaderSync } from './segment-reader-sync.js';
export { FORMAT_VERSION } from './format.js';
export { segmentFileName, parseSegmentFileName } from './segment-name.js';
export * from './types.js';
export { readLogId, formatLogId } from './log-identity.js';
export { decodeFrame, decodeFrameHeader, type FrameResult } from './frame.js';
export { initChecksum } from './checksum.js';
export { FRAME_HEADER_BYTES, FRAME_OFFSET, FRAME_FLAGS, SEGMENT_HEADER_BYTES, REPLICA_FILE_NAME } from './format.js';
export { checkFromSeq } from './log-reader.js';
export { readReplicaMarker, writeReplicaMarker, type ReplicaMarker } from './replica-marker.js';
export { FORMAT_VERSION_RETENTION, PRUNE_MANIFEST_FILE_NAME } from './format.js';
export { pendingPrune, type SegmentRewritePlan, type RewrittenSegment } from './segment-rewrite.js';
