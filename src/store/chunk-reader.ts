// Reading chunks back: location (recent window or index) → log.readAt → decode → inflate → BLAKE3 check, or the
// same read done synchronously by a worker thread from a location handed to it (readChunkAtSync). Owns the "check
// just after reading" rule; never writes. Invariant: no byte reaches a caller unless its chunk hashes to the id it was asked
// for; anything else is a CorruptionError naming the chunk id, the segment and the offset.
import { CorruptionError, NotFoundError, SynclogError } from '../errors.js';
import { decodeRecord, type ChunkRecord, type ChunkRef, type ContentIdBytes, type LogRecord } from '../record/index.js';
import { LIMITS } from '../util/limits.js';
import type { ChunkIndex, ChunkLocation } from './chunk-index.js';
import { decompressChunkSync } from './compress.js';
import { contentIdHex, hashContent, sameContentId } from './content-id.js';
import type { SkippedRegion } from '../log/types.js';
import type { StoreLog } from './log-port.js';
import type { ChunkRecordResult } from './types.js';
import type { RecentChunkLocations } from './recent-chunk-locations.js';

export interface ChunkReaderContext {
  readonly log: StoreLog;
  readonly index: ChunkIndex;
  /** Why the index scan stopped early (mid-log damage), if it did: a chunk missing after it is damage, not absence. */
  scanProblem(): CorruptionError | undefined;
  /** Where the chunk records a sequential read just passed are, if tracked. */
  recent(): RecentChunkLocations | undefined;
  /** Damaged regions a skipDamaged read went past: a chunk missing then may have been in one of them. */
  skipped(): readonly SkippedRegion[];
  /**
   * Brings the index up to date for `id`: waits for this store's own append of it when one is in flight (an
   * ingest resolves once its chunks are queued, before they are durable and indexed), and indexes chunk records
   * appended since the last scan (another process may be the writer).
   */
  refreshIndex(id: ContentIdBytes): Promise<void>;
  /**
   * Whether an index location may still be read: false when its segment file was replaced since it was indexed (a
   * prune rewrote it: docs/format.md "Followers across a prune"); the index is then rebuilt before the next look-up.
   */
  indexCurrent?(where: ChunkLocation): Promise<boolean>;
  /** Forgets every location learned before (index and recent window) and rebuilds the index from the log. */
  relocateAll?(): Promise<void>;
}

/** A chunk record's msgpack fields around its data (kind, id, size, codec and the bin header): well under this. */
const CHUNK_RECORD_FIELDS_BYTES_MAX = 128;

function damaged(id: string, where: ChunkLocation, reason: string, message: string, cause?: unknown): CorruptionError {
  return new CorruptionError(
    `chunk ${id} in ${where.segment} at offset ${where.offset}: ${message}`,
    { file: where.segment, offset: where.offset, chunk: id, reason },
    cause === undefined ? undefined : { cause },
  );
}

/** Decodes and checks one chunk record's payload against the id it must have. */
export function checkChunkPayload(tag: number, payload: Uint8Array, id: ContentIdBytes, where: ChunkLocation & { seq?: number }): Uint8Array {
  let record: LogRecord;
  try {
    record = decodeRecord(tag, payload, { file: where.segment, offset: where.offset, seq: where.seq });
  } catch (error) {
    throw damaged(contentIdHex(id), where, 'chunk-record-undecodable', (error as Error).message, error);
  }
  return checkChunkRecord(record, id, where);
}

/**
 * A chunk record that came from elsewhere (a server, `from`), checked against the id it was asked for as
 * checkChunkPayload does; its damage is named by where it came from (reason as the store's own check gives it).
 */
export function checkFetchedChunk(tag: number, payload: Uint8Array, id: ContentIdBytes, from: string): Uint8Array {
  try {
    return checkChunkPayload(tag, payload, id, { segment: from, offset: 0, size: 0 });
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw error;
    const hex = contentIdHex(id);
    throw new CorruptionError(`chunk ${hex} from ${from} is refused: ${error.where.reason}`, { file: from, chunk: hex, reason: error.where.reason }, { cause: error });
  }
}

/** Checks a decoded chunk record against the id it must have: inflate, size, BLAKE3. */
export function checkChunkRecord(record: LogRecord, id: ContentIdBytes, where: ChunkLocation & { seq?: number }): Uint8Array {
  const hex = () => contentIdHex(id);
  if (record.kind !== 'chunk' || !sameContentId(record.id, id)) throw damaged(hex(), where, 'index-points-elsewhere', 'the record there is not this chunk');
  const chunk: ChunkRecord = record;
  let data: Uint8Array;
  try {
    data = decompressChunkSync(chunk.codec, chunk.data, chunk.size);
  } catch (error) {
    throw damaged(hex(), where, 'chunk-undecodable', `cannot inflate: ${(error as Error).message}`, error);
  }
  if (data.length !== chunk.size) throw damaged(hex(), where, 'chunk-size-mismatch', `${data.length} bytes, expected ${chunk.size}`);
  if (!sameContentId(hashContent(data), id)) throw damaged(hex(), where, 'chunk-hash-mismatch', 'content does not match its BLAKE3 id');
  return data;
}

/** `where`, unless a skipDamaged read went past it as damage (an index checkpoint may still point there). */
function outsideSkipped(ctx: ChunkReaderContext, hex: string, where: ChunkLocation): ChunkLocation {
  const region = ctx.skipped().find((r) => r.segment === where.segment && where.offset >= r.offset && where.offset < r.endOffset);
  if (!region) return where;
  throw new CorruptionError(`chunk ${hex} in ${where.segment} at offset ${where.offset} is in a damaged region that was skipped: ${region.reason}`, {
    file: where.segment,
    offset: where.offset,
    chunk: hex,
    reason: 'chunk-in-skipped-region',
  });
}

/** Where chunk `id` is: the recent window, else the index (brought up to date first when it lacks the id). */
export async function locateChunk(ctx: ChunkReaderContext, id: ContentIdBytes): Promise<ChunkLocation> {
  const hex = contentIdHex(id);
  const recent = ctx.recent()?.get(hex);
  if (recent && (!ctx.indexCurrent || (await ctx.indexCurrent(recent)))) return recent;
  let where = ctx.index.get(id);
  if ((recent || where) && ctx.indexCurrent && !(await ctx.indexCurrent(where ?? recent!))) {
    await ctx.relocateAll!();
    where = ctx.index.get(id);
  }
  if (!where && !ctx.scanProblem()) {
    await ctx.refreshIndex(id);
    where = ctx.index.get(id);
  }
  if (where) return outsideSkipped(ctx, hex, where);
  const problem = ctx.scanProblem();
  if (problem) {
    throw new CorruptionError(`chunk ${hex} is not readable: the log is damaged at ${problem.where.file} offset ${problem.where.offset}`, {
      file: problem.where.file,
      offset: problem.where.offset,
      chunk: hex,
      reason: 'chunk-beyond-damage',
    });
  }
  const skipped = ctx.skipped()[0];
  if (skipped) {
    // Reads went past damage: the chunk's record may have been in a skipped region, so its absence is damage.
    throw new CorruptionError(`chunk ${hex} is not readable: it is not in the intact records (damaged records were skipped in ${skipped.segment})`, {
      file: skipped.segment,
      offset: skipped.offset,
      chunk: hex,
      reason: 'chunk-in-skipped-region',
    });
  }
  throw new NotFoundError(`chunk ${hex} is not in the log`, { what: 'chunk', id: hex });
}

/** A failed read of the record at `where` as the error a caller of readChunk gets (damage names the chunk). */
function readFailure(id: ContentIdBytes, where: ChunkLocation, error: unknown): Error {
  if (error instanceof CorruptionError) return damaged(contentIdHex(id), where, 'chunk-record-damaged', error.message, error);
  if (error instanceof SynclogError) return error;
  return damaged(contentIdHex(id), where, 'chunk-record-unreadable', (error as Error).message, error);
}

/** A chunk's record as the log stores it (frame checksum verified, content not yet checked) and where it is. */
export async function readChunkRecord(ctx: ChunkReaderContext, id: ContentIdBytes): Promise<{ tag: number; payload: Uint8Array; where: ChunkLocation }> {
  const where = await locateChunk(ctx, id);
  try {
    // Hinted by the chunk's size: one pread for the whole frame (a stored chunk is never larger than its content).
    return { ...(await ctx.log.readAt(where, where.size + CHUNK_RECORD_FIELDS_BYTES_MAX)), where };
  } catch (error) {
    // A location learned from a read that was still on a segment a prune has since replaced (the old file): look
    // the chunk up again, once, in the segments as they are now, before calling it damage.
    // Only when the segment file really was replaced: damage in place stays damage, reported as such.
    if (!(error instanceof CorruptionError) || !ctx.relocateAll || !ctx.indexCurrent || (await ctx.indexCurrent(where))) throw readFailure(id, where, error);
    await ctx.relocateAll();
    const again = await locateChunk(ctx, id).catch(() => undefined);
    if (!again || (again.segment === where.segment && again.offset === where.offset)) throw readFailure(id, where, error);
    try {
      return { ...(await ctx.log.readAt(again, again.size + CHUNK_RECORD_FIELDS_BYTES_MAX)), where: again };
    } catch (retry) {
      throw readFailure(id, again, retry);
    }
  }
}

/**
 * readChunkRecord for many ids at once, in order: same records, same errors (each in its place), but chunks lying
 * next to each other in the log are read with one pread (Log.readManyAt, hinted by each chunk's size). A chunk the
 * joint read could not give (not found, damage, a segment a prune replaced) goes through readChunkRecord alone.
 */
export async function readChunkRecords(ctx: ChunkReaderContext, ids: readonly ContentIdBytes[]): Promise<ChunkRecordResult[]> {
  const located = await Promise.all(ids.map((id) => locateChunk(ctx, id).then((where) => where, () => undefined)));
  const found = located.flatMap((where, i) => (where ? [i] : []));
  const read = await ctx.log.readManyAt(found.map((i) => ({ ...located[i]!, payloadBytesHint: located[i]!.size + CHUNK_RECORD_FIELDS_BYTES_MAX })));
  const results: (ChunkRecordResult | undefined)[] = ids.map(() => undefined);
  found.forEach((i, j) => {
    const record = read[j]!;
    if (!('error' in record)) results[i] = record;
  });
  return Promise.all(results.map((result, i) => result ?? readChunkRecord(ctx, ids[i]!).then(({ tag, payload }) => ({ tag, payload }), (error: unknown) => ({ error }))));
}

export async function readChunk(ctx: ChunkReaderContext, id: ContentIdBytes): Promise<Uint8Array> {
  const { tag, payload, where } = await readChunkRecord(ctx, id);
  return checkChunkPayload(tag, payload, id, where);
}

/** Reads single records synchronously by position (the log's SegmentReaderSync satisfies it). */
export interface RecordReaderSync {
  readAt(position: { segment: string; offset: number }, payloadBytesHint?: number): { tag: number; payload: Uint8Array };
}


/**
 * readChunk for a worker thread that was handed the chunk's location: synchronous, same checks, same errors. The
 * result may be a view into the reader's buffer (an uncompressed chunk): use it before the next read.
 */
export function readChunkAtSync(reader: RecordReaderSync, where: ChunkLocation, id: ContentIdBytes): Uint8Array {
  let entry: { tag: number; payload: Uint8Array };
  try {
    entry = reader.readAt(where, where.size + CHUNK_RECORD_FIELDS_BYTES_MAX);
  } catch (error) {
    throw readFailure(id, where, error);
  }
  return checkChunkPayload(entry.tag, entry.payload, id, where);
}

/**
 * `data` (a checked chunk) against the size the version's reference says it has: a version that lies about a size
 * is damage too. `where`, when known, is the chunk record's place in the log.
 */
export function checkChunkSize(data: Uint8Array, ref: ChunkRef, where?: { segment: string; offset: number }): Uint8Array {
  if (data.length === ref.size) return data;
  throw new CorruptionError(`chunk ${contentIdHex(ref.id)} is ${data.length} bytes, the version says ${ref.size}`, {
    file: where?.segment ?? '',
    ...(where ? { offset: where.offset } : {}),
    chunk: contentIdHex(ref.id),
    reason: 'chunk-size-mismatch',
  });
}

/** Streams chunks in order, fetching a few ahead (bounded by storeReadAheadChunks) so reading overlaps checking. */
export async function* readContent(ctx: ChunkReaderContext, chunks: readonly ChunkRef[]): AsyncGenerator<Uint8Array> {
  const ahead: Promise<Uint8Array>[] = [];
  let next = 0;
  const fill = () => {
    while (ahead.length < LIMITS.storeReadAheadChunks && next < chunks.length) {
      const promise = readChunk(ctx, chunks[next++]!.id);
      promise.catch(() => {}); // surfaced when awaited below, in order
      ahead.push(promise);
    }
  };
  for (let i = 0; i < chunks.length; i++) {
    fill();
    const data = await ahead.shift()!;
    yield checkChunkSize(data, chunks[i]!);
  }
}
