// The chunk index checkpoint: the dedup index saved beside the log with the log position it covers, so opening a
// large log scans only the records after it. Owns the file format (docs/store.md "Index checkpoint"); never
// trusted over the segments: a checkpoint is used only if its own checksum holds, every segment it names still
// exists with the size it had (the last one at least that size), and the last 64 KiB before its position still
// hash the same. Anything else is a stale or damaged checkpoint, and the caller rebuilds from the log.
import { join } from 'node:path';
import { ChunkIndex } from './chunk-index.js';
import { CONTENT_ID_BYTES } from './content-id.js';
import { FieldReader, FieldWriter, readDerivedFile, readPosition, writeDerivedFile, writePosition, type CheckpointPosition } from './checkpoint-position.js';
import type { SegmentInfo } from '../log/types.js';

export const CHECKPOINT_FILE_NAME = 'store.chunk-index';
const MAGIC = new TextEncoder().encode('SLCKIDX1');
const FORMAT_VERSION = 1;

export type { CheckpointPosition };

/** Writes the index and the position it covers, atomically. The caller makes sure the covered bytes are durable. */
export async function saveCheckpoint(logDir: string, index: ChunkIndex, position: CheckpointPosition): Promise<void> {
  const numbers = new Map(position.segments.map((s, i) => [s.name, i]));
  const w = new FieldWriter();
  w.bytes(MAGIC);
  w.u32(FORMAT_VERSION);
  await writePosition(w, logDir, position);
  // Only entries inside the bytes the checkpoint describes: a chunk appended after those sizes were read is above
  // `nextSeq` and is scanned again at the next open (its bytes may not even be durable yet).
  const ids = new Uint8Array(index.count * CONTENT_ID_BYTES);
  const meta = new Uint32Array(index.count * 3);
  let i = 0;
  for (const entry of index.entries()) {
    const number = numbers.get(entry.segment);
    if (number === undefined || entry.offset >= position.segments[number]!.bytes) continue;
    ids.set(entry.id, i * CONTENT_ID_BYTES);
    meta.set([number, entry.offset, entry.size], i * 3);
    i++;
  }
  w.u32(i);
  w.bytes(ids.subarray(0, i * CONTENT_ID_BYTES));
  w.bytes(new Uint8Array(meta.buffer, 0, i * 12));
  await writeDerivedFile(join(logDir, CHECKPOINT_FILE_NAME), w.join());
}

export type CheckpointLoad = { index: ChunkIndex; nextSeq: number } | { problem: string };

/** Loads the checkpoint if it is intact and still matches the segments on disk; otherwise says why not. */
export async function loadCheckpoint(logDir: string, current: SegmentInfo[]): Promise<CheckpointLoad> {
  const read = await readDerivedFile(join(logDir, CHECKPOINT_FILE_NAME), MAGIC, 'checkpoint file');
  if ('problem' in read) return read;
  try {
    return await parseAndCheck(logDir, read.body, current);
  } catch (error) {
    return { problem: `unreadable checkpoint: ${(error as Error).message}` };
  }
}

async function parseAndCheck(logDir: string, body: Uint8Array, current: SegmentInfo[]): Promise<CheckpointLoad> {
  const r = new FieldReader(body);
  r.bytes(MAGIC.length);
  if (r.u32() !== FORMAT_VERSION) return { problem: 'unknown checkpoint version' };
  const position = await readPosition(r, logDir, current);
  if ('problem' in position) return position;
  const { nextSeq, segments } = position;
  const count = r.u32();
  const ids = r.bytes(count * CONTENT_ID_BYTES);
  const metaBytes = new Uint8Array(r.bytes(count * 12)); // a copy, aligned for Uint32Array
  const meta = new Uint32Array(metaBytes.buffer, 0, count * 3);
  const index = new ChunkIndex();
  for (let i = 0; i < count; i++) {
    const segment = segments[meta[i * 3]!];
    if (!segment) return { problem: 'damaged: chunk names an unknown segment' };
    index.add(ids.subarray(i * CONTENT_ID_BYTES, (i + 1) * CONTENT_ID_BYTES), { segment: segment.name, offset: meta[i * 3 + 1]!, size: meta[i * 3 + 2]! });
  }
  return { index, nextSeq };
}
