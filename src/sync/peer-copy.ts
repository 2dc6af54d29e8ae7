// Copying one peer's own records into this node's log (docs/sync.md "What a node stores"). Follows the peer's log
// with the read side's long poll (a change arrives once it is durable there), keeps only records the peer recorded
// itself (no `origin`), fetches the chunks they name that this log lacks (checked against their ids by RemoteLog),
// and appends chunks and records as one atomic group, each record stamped with the peer's log id and seq.
// Never relays a record that carries an origin, never takes the origin from a record, never appends a version id
// the log already holds, never appends a version before its chunks.
import { CorruptionError, UsageError } from '../errors.js';
import { nextOrIdle, RemoteLog, type RemoteLogOptions } from '../net/index.js';
import { contentIdHex, decodeRecord, RECORD_TAGS, type ChunkRecord, type ContentIdBytes, type EntryRecord, type LogRecord } from '../record/index.js';
import { compressChunk, type StoreApi, type StoredRecord } from '../store/index.js';
import { NET_LIMITS, SYNC_LIMITS } from '../util/limits.js';
import type { SyncState } from './sync-state.js';

export interface PeerCopyContext {
  store: StoreApi;
  state: SyncState;
  /** Highest peer seq held per origin (derived from the log at start; updated here). */
  highSeq: Map<string, number>;
  /** Refuses a peer log id that is this node's own or another peer's (throws UsageError). */
  claim(url: string, logId: string): void;
  /** Told once records are durable in this log. */
  copied(records: StoredRecord<EntryRecord>[], peer: string): void;
  transport: RemoteLogOptions;
}

/** The highest origin seq per origin log id among the records of `catalog` (what each peer's copy resumes after). */
export function highSeqOf(records: Iterable<EntryRecord>): Map<string, number> {
  const high = new Map<string, number>();
  for (const record of records) {
    if (record.origin && record.origin.seq > (high.get(record.origin.log) ?? -1)) high.set(record.origin.log, record.origin.seq);
  }
  return high;
}

interface Pending {
  /** Chunks the batch's versions name that this log lacks: hex id → id and the first version naming it. */
  lacking: Map<string, { id: ContentIdBytes; record: EntryRecord }>;
  versionIds: Set<string>;
  records: EntryRecord[];
  /** Bytes of the lacking chunks (the batch's memory once fetched). */
  bytes: number;
}

function emptyBatch(): Pending {
  return { lacking: new Map(), versionIds: new Set(), records: [], bytes: 0 };
}

/** Follows `url` until `signal` aborts; resolves then. Rejects for a peer that sends what must not be taken. */
export async function copyFromPeer(url: string, ctx: PeerCopyContext, signal: AbortSignal): Promise<void> {
  const remote = await RemoteLog.connect(url, ctx.transport, signal).catch((error: unknown) => {
    if (signal.aborted) return undefined;
    throw error;
  });
  if (!remote) return;
  try {
    ctx.claim(url, remote.logId);
    const peer = remote.logId;
    const fromSeq = (ctx.highSeq.get(peer) ?? -1) + 1;
    const entries = remote.read({ fromSeq, follow: true, tags: [RECORD_TAGS.version, RECORD_TAGS.delete], signal })[Symbol.asyncIterator]();
    let pending = emptyBatch();
    const commit = async () => {
      const batch = pending;
      pending = emptyBatch();
      await appendBatch(batch.records, await fetchLacking(batch, remote, signal), ctx, peer);
    };
    for (;;) {
      const step = await nextOrIdle(entries, true, async () => {
        if (pending.records.length > 0) await commit();
      });
      if (step.done) break;
      let record: EntryRecord;
      try {
        record = decodeRecord(step.value.tag, step.value.payload, { file: `peer ${remote.url}`, seq: step.value.seq }) as EntryRecord;
      } catch (error) {
        // What came before the bad record is the peer's and sound: keep it, then stop copying from this peer.
        if (pending.records.length > 0) await commit();
        throw error;
      }
      await take(record, step.value.seq, remote, ctx, pending);
      if (pending.records.length >= SYNC_LIMITS.copyBatchRecordsMax || pending.bytes >= SYNC_LIMITS.copyBatchBytesMax) await commit();
    }
    if (pending.records.length > 0 && !signal.aborted) await commit();
  } finally {
    remote.close();
  }
}

/** Queues one of the peer's records; the chunks it names that this log lacks are fetched at commit, many at once. */
async function take(record: EntryRecord, seq: number, remote: RemoteLog, ctx: PeerCopyContext, pending: Pending): Promise<void> {
  // The peer's copies of other nodes' records are theirs to give, not this peer's: only its own are taken.
  if (record.origin !== undefined) return;
  if (ctx.state.has(record.versionId) || pending.versionIds.has(record.versionId)) return;
  const stamped: EntryRecord = { ...record, root: ctx.state.root, origin: { log: remote.logId, seq } };
  if (stamped.kind === 'version' && stamped.chunks) {
    for (const chunk of stamped.chunks) {
      const hex = contentIdHex(chunk.id);
      if (ctx.store.hasChunk(chunk.id) || pending.lacking.has(hex)) continue;
      pending.lacking.set(hex, { id: chunk.id, record: stamped });
      pending.bytes += chunk.size;
    }
  }
  pending.versionIds.add(stamped.versionId);
  pending.records.push(stamped);
}

/** The chunks the batch lacks, fetched in requests of up to chunkIdsPerRequestMax ids, as chunk records. */
async function fetchLacking(pending: Pending, remote: RemoteLog, signal: AbortSignal): Promise<ChunkRecord[]> {
  const wanted = [...pending.lacking.values()];
  const chunks: ChunkRecord[] = [];
  for (let at = 0; at < wanted.length; at += NET_LIMITS.chunkIdsPerRequestMax) {
    const group = wanted.slice(at, at + NET_LIMITS.chunkIdsPerRequestMax);
    const bytes = await remote.fetchChunks(group.map((g) => g.id), signal);
    group.forEach(({ id, record }, i) => {
      const data = bytes[i];
      if (!data) throw missingChunk(remote.url, record, id);
      const packed = compressChunk(data, 'auto');
      chunks.push({ kind: 'chunk', id, codec: packed.codec, size: data.length, data: packed.data });
    });
  }
  return chunks;
}

function missingChunk(url: string, record: EntryRecord, id: ContentIdBytes): CorruptionError {
  const hex = contentIdHex(id);
  return new CorruptionError(`peer ${url} names chunk ${hex} in version ${record.versionId} (${JSON.stringify(record.path)}) but does not hold it`, { file: url, chunk: hex, reason: 'chunk-missing-at-peer' });
}

async function appendBatch(records: EntryRecord[], chunks: ChunkRecord[], ctx: PeerCopyContext, peer: string): Promise<void> {
  const fresh = records.filter((r) => !ctx.state.has(r.versionId));
  if (fresh.length === 0) return;
  // Chunks first: the group is all or nothing, and a version is never before its chunks.
  const held = chunks.filter((c) => !ctx.store.hasChunk(c.id));
  const stored = await ctx.store.appendAtomic([...held, ...fresh] as LogRecord[]);
  const entries = stored.filter((s): s is StoredRecord<EntryRecord> => s.record.kind === 'version' || s.record.kind === 'delete');
  const last = fresh[fresh.length - 1]!.origin!.seq;
  if (last > (ctx.highSeq.get(peer) ?? -1)) ctx.highSeq.set(peer, last);
  ctx.copied(entries, peer);
}

/** A peer log id already taken (this node's own, or another --peer's): the same log reached twice, or a forger. */
export function refusePeer(url: string, logId: string, whose: string): never {
  throw new UsageError(`peer ${url} serves log ${logId}, which is ${whose}; each peer must be another node's own log`, { url, logId });
}
