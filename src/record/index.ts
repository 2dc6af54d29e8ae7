// The record layer: what log payloads mean. Imports only util and the msgpack codec.
export * from './types.js';
export { encodeRecord, encodeChunkRecord, decodeRecord, decodeRecordWithChunks, payloadWithChunks, versionDeltaPath, peekChunkIdAndSize, chunkPiecesValid, recordTag, kindOfTag, type RecordLocation } from './codec.js';
export { newVersionId, isVersionId, findVersionById, refuseShortPrefix, ambiguousPrefix, VERSION_ID_PATTERN } from './version-id.js';
export { displayPath, splitDisplayPath, contentIdHex, contentIdFromHex, shortContentId } from './display.js';
