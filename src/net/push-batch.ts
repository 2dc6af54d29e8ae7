// The pusher's batch (docs/protocol.md "Push"): the records read from the local log that ship together, the chunk
// records read on the way (uploaded from memory when the server lacks them) and the chunk ids its versions name.
// Owns when a batch closes: at the end of an atomic group (a batch never cuts one), once it is full.
import { FRAME_FLAGS, FRAME_OFFSET, type LogEntry } from '../log/index.js';
import { contentIdHex, decodeRecord, encodeRecord, peekChunkIdAndSize, RECORD_TAGS, type LogRecord, type VersionRecord } from '../record/index.js';
import { PUSH_LIMITS } from '../util/limits.js';
import type { PushedRecord } from './push-protocol.js';

/** Local root name → the name it is pushed under (`--as`). */
export type RootNames = (root: string) => string;

export interface Batch {
  records: PushedRecord[];
  recordBytes: number;
  /** Chunk records read on the way, by hex id: uploaded from here when the server lacks them. */
  chunks: Map<string, Uint8Array>;
  chunkBytes: number;
  /**
   * Chunk ids to make sure the server holds, in order, once each: those the batch's versions name, and those of the
   * chunk records it read (a file's chunks may close one batch and its version open the next: asked about here, they
   * upload from memory instead of being read from the log again for the next batch).
   */
  wanted: Map<string, Uint8Array>;
  /** The seq of the first record read into the batch (the previous batch's endSeq). */
  fromSeq: number;
  /** The seq after the last record read into the batch. */
  endSeq: number;
  /** Versions of deltaChunksMin chunks or more, by their index in `records` (local root): a base may spare their ids. */
  large: Map<number, VersionRecord>;
}

export function newBatch(fromSeq: number): Batch {
  return { records: [], recordBytes: 0, chunks: new Map(), chunkBytes: 0, wanted: new Map(), fromSeq, endSeq: fromSeq, large: new Map() };
}

/** What a batch holds in memory (its chunk records and records), for the bound on batches in flight. */
export function batchBytes(batch: Batch): number {
  return batch.chunkBytes + batch.recordBytes;
}

/** Reads one record of the local log into the batch (chunks kept for upload, versions renamed under --as). */
export function addToBatch(batch: Batch, entry: LogEntry, rootNames: RootNames | undefined): void {
  batch.endSeq = entry.seq + 1;
  if (entry.tag === RECORD_TAGS.chunk) {
    const head = peekChunkIdAndSize(entry.payload);
    const id = head ? head.id : (decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq }) as { id: Uint8Array }).id;
    const hex = contentIdHex(id);
    batch.chunks.set(hex, entry.payload);
    batch.wanted.set(hex, id);
    batch.chunkBytes += entry.payload.length;
    return;
  }
  if (entry.tag !== RECORD_TAGS.version && entry.tag !== RECORD_TAGS.delete && entry.tag !== RECORD_TAGS.watch) return; // params: the server has its own
  const where = { file: entry.segment, offset: entry.offset, seq: entry.seq };
  const record = decodeRecord(entry.tag, entry.payload, where);
  let payload = entry.payload;
  if (record.kind === 'version' || record.kind === 'delete' || record.kind === 'watch') {
    const name = rootNames?.(record.root) ?? record.root;
    if (name !== record.root) payload = encodeRecord({ ...record, root: name } as LogRecord).payload;
    if (record.kind === 'version') for (const chunk of record.chunks ?? []) batch.wanted.set(contentIdHex(chunk.id), chunk.id);
    if (record.kind === 'version' && (record.chunks?.length ?? 0) >= PUSH_LIMITS.deltaChunksMin) batch.large.set(batch.records.length, record);
  }
  batch.records.push({ seq: entry.seq, tag: entry.tag, payload });
  batch.recordBytes += payload.length + 14;
}

/** True when the batch should ship after `entry`: it ends a group (or is a record alone) and the batch is full. */
export function batchCloses(batch: Batch, entry: LogEntry): boolean {
  return groupEnds(entry) && full(batch);
}

function groupEnds(entry: LogEntry): boolean {
  const flags = entry.frame![FRAME_OFFSET.flags]!;
  return flags === FRAME_FLAGS.full || flags === FRAME_FLAGS.last;
}

function full(batch: Batch): boolean {
  return batch.records.length >= PUSH_LIMITS.batchRecordsMax || batch.recordBytes >= PUSH_LIMITS.batchRecordBytesMax || batch.chunkBytes >= PUSH_LIMITS.batchChunkBytesMax;
}
