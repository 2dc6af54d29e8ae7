// The catalog checkpoint: the history catalog's records saved beside the log with the log position they cover, so
// opening a log (a rescan of an unchanged tree, `synclog log`) reads only the records after it instead of walking
// every segment past its chunk records. Owns the file format (docs/store.md "Catalog checkpoint file"); never
// trusted over the segments: it is used only if its checksum holds, its position still matches the segments
// (checkpoint-position.ts: the same rule as the chunk index checkpoint) and every record in it decodes and
// validates as a record read from the log does. Anything else is a problem the caller answers by a full replay.
import { join } from 'node:path';
import { decodeRecord, encodeRecord } from '../record/index.js';
import { LIMITS } from '../util/limits.js';
import { FieldReader, FieldWriter, readDerivedFile, readPosition, writeDerivedFile, writePosition, type CheckpointPosition } from './checkpoint-position.js';
import type { SegmentInfo } from '../log/types.js';
import type { StoredRecord } from './types.js';

export const CATALOG_CHECKPOINT_FILE_NAME = 'store.catalog';
const MAGIC = new TextEncoder().encode('SLCATLG1');
const FORMAT_VERSION = 1;

export type CatalogCheckpointLoad = { records: StoredRecord[]; position: CheckpointPosition } | { problem: string };

/**
 * Writes `records` (what the catalog applied, in seq order, every one below `position.nextSeq`) and the position,
 * atomically. The caller makes sure the covered bytes are durable. Each record is stored encoded as the log stores
 * it, so loading checks it exactly as a read from the log does.
 */
export async function saveCatalogCheckpoint(logDir: string, records: readonly StoredRecord[], position: CheckpointPosition): Promise<void> {
  const numbers = new Map(position.segments.map((s, i) => [s.name, i]));
  const w = new FieldWriter();
  w.bytes(MAGIC);
  w.u32(FORMAT_VERSION);
  await writePosition(w, logDir, position);
  const kept = records.filter((stored) => stored.seq < position.nextSeq && numbers.has(stored.segment));
  w.u32(kept.length);
  for (const stored of kept) {
    const { tag, payload } = encodeRecord(stored.record);
    w.f64(stored.seq);
    w.u32(numbers.get(stored.segment)!);
    w.f64(stored.offset);
    w.u32(tag);
    w.u32(payload.length);
    w.bytes(payload);
  }
  const body = w.join();
  if (body.length + 8 > LIMITS.storeDerivedFileBytesMax) return; // too large to be worth it: the next open replays
  await writeDerivedFile(join(logDir, CATALOG_CHECKPOINT_FILE_NAME), body);
}

/** Loads the checkpoint if it is intact and still matches the segments on disk; otherwise says why not. */
export async function loadCatalogCheckpoint(logDir: string, current: SegmentInfo[]): Promise<CatalogCheckpointLoad> {
  const read = await readDerivedFile(join(logDir, CATALOG_CHECKPOINT_FILE_NAME), MAGIC, 'catalog checkpoint');
  if ('problem' in read) return read;
  try {
    return await parseAndCheck(logDir, read.body, current);
  } catch (error) {
    // A truncated field or a record the log's reader would refuse (CorruptionError): the checkpoint is not used.
    if (error instanceof Error) return { problem: `unreadable catalog checkpoint: ${error.message}` };
    throw error;
  }
}

async function parseAndCheck(logDir: string, body: Uint8Array, current: SegmentInfo[]): Promise<CatalogCheckpointLoad> {
  const r = new FieldReader(body);
  r.bytes(MAGIC.length);
  if (r.u32() !== FORMAT_VERSION) return { problem: 'unknown catalog checkpoint version' };
  const position = await readPosition(r, logDir, current);
  if ('problem' in position) return position;
  const records: StoredRecord[] = [];
  let previousSeq = -1;
  for (let count = r.u32(), i = 0; i < count; i++) {
    const seq = r.f64();
    const segment = position.segments[r.u32()];
    const offset = r.f64();
    const tag = r.u32();
    const payload = r.bytes(r.u32());
    // In seq order, below the position, in a segment it names: what saveCatalogCheckpoint writes, nothing else.
    if (!segment || !Number.isSafeInteger(seq) || seq <= previousSeq || seq >= position.nextSeq) return { problem: 'damaged: a record out of order or place' };
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= segment.bytes) return { problem: 'damaged: a record outside its segment' };
    previousSeq = seq;
    const record = decodeRecord(tag, payload, { file: CATALOG_CHECKPOINT_FILE_NAME, offset: r.at, seq });
    if (record.kind === 'chunk' || record.kind === 'params' || record.kind === 'pruned') return { problem: `damaged: a ${record.kind} record` };
    records.push({ seq, segment: segment.name, offset, record });
  }
  if (r.at !== body.length) return { problem: 'damaged: bytes after the last record' };
  return { records, position };
}
