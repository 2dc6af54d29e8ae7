// The bases a remote receiver expands read deltas against (docs/protocol.md "Read deltas"): the chunk list of the
// version at a given seq of the served log. Owns where that list comes from: a version this run received (kept by
// seq, a bounded number of chunk entries), else the file at the version's path in the destination, chunked with the
// log's parameters (LocalChunks, which keeps that work for the find() of the version that replaces the file).
// Never vouches for a list: the caller rebuilds the record from it and checks the frame checksum, so a destination
// file changed behind the receiver, or a version long since evicted, costs only the record asked whole.
import type { ChunkRef, LogRecord } from '../record/index.js';
import type { LocalChunks } from './local-chunks.js';
import { WeightedLru } from '../util/weighted-lru.js';
import type { DeltaBaseSource } from './remote-log.js';

/** Chunk entries of received versions kept for deltas (~100 bytes each, most of them shared with the replay). */
const RECEIVED_CHUNKS_MAX = 262_144;

interface ReceivedVersion {
  root: string;
  path: string;
  chunks: readonly ChunkRef[];
}

export class DeltaBases implements DeltaBaseSource {
  /** Seq → a version this run received and verified, oldest first. */
  private readonly received = new WeightedLru<number, ReceivedVersion>(RECEIVED_CHUNKS_MAX);

  constructor(private readonly local: LocalChunks) {}

  /** A record this run received (verified and decoded): a version with chunks may be a later delta's base. */
  noteReceived(seq: number, record: LogRecord): void {
    if (record.kind !== 'version' || !record.chunks || record.chunks.length === 0 || this.received.has(seq)) return;
    if (record.chunks.length > RECEIVED_CHUNKS_MAX) return;
    this.received.set(seq, { root: record.root, path: record.path, chunks: record.chunks }, record.chunks.length);
  }

  async chunksOf(seq: number, root: string, path: string): Promise<readonly ChunkRef[] | undefined> {
    const known = this.received.get(seq);
    if (known) return known.root === root && known.path === path ? known.chunks : undefined;
    return this.local.chunkList({ root, path });
  }
}
