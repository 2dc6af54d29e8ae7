// Read deltas on the server (docs/protocol.md "Read deltas", protocol 4): for a records request with `delta=1`, a
// version record of at least deltaChunksMin chunks may travel as its delta against the newest entry of the same
// root and path below it, when that is a version and gives at least half the chunks. Owns finding that base (its
// seq from an index of each path's entries, entry-seqs.ts, built on the first delta a client could use and read
// forward as the log grows; its record read from the log by that seq) and the check that makes a delta safe to send:
// the client's own reconstruction (expandVersionPayload) must give back the stored payload byte for byte, so the frame
// checksum the delta carries verifies. Never sends a delta that fails it: that record goes whole.
import type { LogEntry } from '../log/index.js';
import { decodeRecord, encodeRecord, RECORD_TAGS, type ChunkRef, type VersionRecord } from '../record/index.js';
import type { StoreApi } from '../store/index.js';
import { WeightedLru } from '../util/weighted-lru.js';
import { EntrySeqs } from './entry-seqs.js';
import { FRAME_HEADER_BYTES } from '../log/index.js';
import { PUSH_LIMITS } from '../util/limits.js';
import { encodeVersionDeltaHead } from './protocol.js';
import { chunkDelta, DeltaError, expandVersionPayload } from './version-delta.js';

/** The fewest payload bytes a version of deltaChunksMin chunks can have (a msgpack chunk entry is ≥ 40 bytes). */
const CHUNK_ENTRY_BYTES_MIN = 40;

/** What the server's read deltas did (LogServer.stats). */
export interface ReadDeltaStats {
  deltasSent: number;
  /** Payload bytes the deltas left out (the chunk entries the base supplied). */
  deltaBytesSaved: number;
}

/**
 * Chunk entries of the bases read last, kept (~100 bytes each): a writer's followers all ask for its new version
 * within moments, and each would read the same base record from the log again.
 */
const RECENT_BASE_CHUNKS_MAX = 65_536;

export class ReadDeltas {
  private readonly entrySeqs: EntrySeqs;
  /** A base's chunk list by its seq (a seq names one record, of the path the index found it for). */
  private readonly recentBases = new WeightedLru<number, readonly ChunkRef[]>(RECENT_BASE_CHUNKS_MAX);

  constructor(
    private readonly store: StoreApi,
    private readonly stats: ReadDeltaStats,
  ) {
    this.entrySeqs = new EntrySeqs(store);
  }

  /**
   * The delta message for `entry` (read with frames), as pieces to write in order, or undefined when it goes whole:
   * not a version of at least deltaChunksMin chunks, no version base below it, fewer than half its chunks in the base,
   * or a delta that would not rebuild the stored bytes exactly.
   */
  async messageFor(entry: LogEntry): Promise<Uint8Array[] | undefined> {
    if (entry.tag !== RECORD_TAGS.version || entry.payload.length < PUSH_LIMITS.deltaChunksMin * CHUNK_ENTRY_BYTES_MIN || !entry.frame) return undefined;
    let record;
    try {
      record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
    } catch {
      return undefined; // the client meets the damage in the whole record, as any reader would
    }
    if (record.kind !== 'version' || !record.chunks || record.chunks.length < PUSH_LIMITS.deltaChunksMin) return undefined;
    const base = await this.baseOf(entry.seq, record);
    if (!base) return undefined;
    const delta = chunkDelta(base.chunks, record.chunks);
    if (!delta) return undefined;
    const { payload } = encodeRecord({ ...record, chunks: delta.literals });
    let rebuilt: Uint8Array;
    try {
      rebuilt = expandVersionPayload(payload, delta.ops, base.chunks);
    } catch (error) {
      if (error instanceof DeltaError) return undefined;
      throw error;
    }
    // A record its writer did not encode as encodeRecord does now (another binary, an older key order) comes back
    // different: the client could not verify it, so it goes whole.
    if (!Buffer.from(rebuilt.buffer, rebuilt.byteOffset, rebuilt.length).equals(entry.payload)) return undefined;
    this.stats.deltasSent++;
    this.stats.deltaBytesSaved += entry.payload.length - payload.length;
    return [encodeVersionDeltaHead(entry.seq, entry.offset, entry.frame.subarray(0, FRAME_HEADER_BYTES), base.seq, delta.ops, payload.length), payload];
  }

  /** The newest entry of the record's root and path below `seq`, when it is a version with chunks. */
  private async baseOf(seq: number, record: VersionRecord): Promise<{ seq: number; chunks: readonly ChunkRef[] } | undefined> {
    // The index is read on first use (one read of the log's entries), kept and read forward for the server's
    // lifetime; the base's record is read from the log by its seq. A log that cannot be read there (damage further
    // on) only means whole records: the stream's own reader reports damage where it meets it.
    try {
      const baseSeq = await this.entrySeqs.versionBelow(seq, record.root, record.path);
      if (baseSeq === undefined) return undefined;
      const kept = this.recentBases.get(baseSeq, { touch: true });
      if (kept) return { seq: baseSeq, chunks: kept };
      for await (const stored of this.store.entries({ fromSeq: baseSeq, kinds: ['version'] })) {
        // Not the record the index named (a prune has since removed it: its seq holds a pruned frame now): whole.
        const base = stored.record;
        if (stored.seq !== baseSeq || base.kind !== 'version' || !base.chunks || base.root !== record.root || base.path !== record.path) return undefined;
        if (base.chunks.length <= RECENT_BASE_CHUNKS_MAX / 4) this.recentBases.set(baseSeq, base.chunks, base.chunks.length);
        return { seq: baseSeq, chunks: base.chunks };
      }
      return undefined;
    } catch {
      return undefined;
    }
  }
}
