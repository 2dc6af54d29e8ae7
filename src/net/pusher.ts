// The pusher (`synclog push`, `synclog watch --to`): ships a local log's records to a server that takes pushes
// (docs/protocol.md "Push"), in log order, sending only the chunks the server lacks. Owns: batching (never cutting
// an atomic group), the lacks → upload → records exchange, renaming roots (--as), retrying while the server is
// away (one notice per outage, with what is queued), and saving the cursor after each acknowledged batch.
// Never saves the cursor before the server said the records are durable; never sends a record out of order.
import { NetError, UsageError } from '../errors.js';
import { FRAME_FLAGS, FRAME_OFFSET, initChecksum, Log, readLogId, type LogEntry } from '../log/index.js';
import { nextOrIdle } from './next-or-idle.js';
import { contentIdHex, decodeRecord, encodeRecord, peekChunkIdAndSize, RECORD_TAGS, type LogRecord, type VersionRecord } from '../record/index.js';
import { openStore, type StoreApi } from '../store/index.js';
import { PUSH_LIMITS, NET_LIMITS } from '../util/limits.js';
import { Backoff, sleep } from './backoff.js';
import { HttpTransport, isRetryable, type TransportOptions } from './http-client.js';
import { ROUTES, type LogInfo } from './protocol.js';
import { measurePushQueue, readPushTargets, savePushTarget, type PushQueue } from './push-cursor.js';
import {
  chunkDelta,
  decodeLacks,
  encodeIds,
  encodeRecordHeadForPush,
  encodeRecordsHead,
  PUSH_FEATURE_VERSION_DELTA,
  PUSH_MESSAGES,
  PUSH_PROTOCOL_VERSION,
  PUSH_ROUTES,
  UPLOAD_END,
  uploadChunkHead,
  uploadHead,
  type OriginInfo,
  type PushedRecord,
  type PushReply,
} from './push-protocol.js';

/** Local root name → the name it is pushed under (`--as`). */
export type RootNames = (root: string) => string;

export interface PushOptions extends TransportOptions {
  url: string;
  logDir: string;
  /** Keep shipping new records until `signal` aborts (default: stop once the server holds the log's durable end). */
  follow?: boolean;
  signal?: AbortSignal;
  rootNames?: RootNames;
  /** Told once per outage, when the server first turns out to be away. */
  onAway?: (away: { error: Error; queue: PushQueue; retryMaxMs: number }) => void;
  /** Told when the server answers again after an outage. */
  onBack?: (away: { awayMs: number }) => void;
  /** Told after each acknowledged batch. */
  onBatch?: (state: PushState) => void;
  /** Told each time the server holds everything the local log had (following: after each quiet spell). */
  onCaughtUp?: (state: PushState) => void;
  /** Stop retrying once the server has been away this long (default: never). */
  giveUpAfterMs?: number;
  /** Overrides of the backoff (tests). */
  retryDelayMsFirst?: number;
  retryDelayMsMax?: number;
}

export interface PushState {
  /** The first local seq the server has not acknowledged. */
  nextSeq: number;
  /** Records the server appended for this run (replays it already held are not counted). */
  recordsAppended: number;
  recordsSkipped: number;
  chunksUploaded: number;
  /** Bytes of chunk uploads sent (bodies). */
  uploadBytes: number;
  /** Chunks the server already held (not sent). */
  chunksHeld: number;
  serverLogId?: string;
}

interface Batch {
  records: PushedRecord[];
  recordBytes: number;
  /** Chunk records read on the way, by hex id: uploaded from here when the server lacks them. */
  chunks: Map<string, Uint8Array>;
  chunkBytes: number;
  /** Chunk ids the batch's versions name, in order, once each. */
  wanted: Map<string, Uint8Array>;
  /** The seq after the last record read into the batch. */
  endSeq: number;
  /** Versions of deltaChunksMin chunks or more, by their index in `records` (local root): a base may spare their ids. */
  large: Map<number, VersionRecord>;
}

/**
 * What the versions the server already acknowledged let a batch skip (docs/protocol.md "Version deltas"): the chunk
 * ids of each large version's base (the previous version of its path below the cursor: the server checked it held
 * them before appending it) are not asked about, and, where the server expands deltas, the record names its chunks
 * as a delta against that base. The server still checks every chunk; a 409 sends the batch again without any of it.
 */
interface BasePlan {
  held: Set<string>;
  records: PushedRecord[];
  used: boolean;
}

const BATCH_CHUNK_BYTES_MAX = 32 * 1024 * 1024;
const BATCH_RECORD_BYTES_MAX = 8 * 1024 * 1024;

function newBatch(fromSeq: number): Batch {
  return { records: [], recordBytes: 0, chunks: new Map(), chunkBytes: 0, wanted: new Map(), endSeq: fromSeq, large: new Map() };
}

/** Pushes until caught up (or, following, until `signal` aborts); resolves with the final state. */
export async function push(options: PushOptions): Promise<PushState> {
  await initChecksum(); // the log's frame checksums (xxhash's wasm) load asynchronously
  const origin = await readLogId(options.logDir);
  if (origin === undefined) throw new UsageError(`${options.logDir} has no records yet: nothing to push`, { fix: 'record into it first (synclog watch or snapshot)' });
  const log = await Log.open(options.logDir, { readOnly: true });
  let store: StoreApi;
  try {
    store = await openStore(options.logDir, { readOnly: true, workers: 0, indexOnDemand: true });
  } catch (error) {
    await log.close();
    throw error;
  }
  try {
    return await new Pusher(log, store, origin, options).run();
  } finally {
    await store.close();
    await log.close();
  }
}

class Pusher {
  private readonly state: PushState = { nextSeq: 0, recordsAppended: 0, recordsSkipped: 0, chunksUploaded: 0, uploadBytes: 0, chunksHeld: 0 };
  /** Chunk ids the server is known to hold (asked or uploaded), bounded: forgetting one only costs a question. */
  private readonly held = new Set<string>();
  /** The server expands version deltas (its GET /v1/log lists the feature). */
  private deltas = false;

  constructor(
    private readonly log: Log,
    private readonly store: StoreApi,
    private readonly origin: string,
    private readonly options: PushOptions,
  ) {}

  async run(): Promise<PushState> {
    const { signal } = this.options;
    const backoff = new Backoff(this.options.retryDelayMsFirst ?? PUSH_LIMITS.retryDelayMsFirst, this.options.retryDelayMsMax ?? PUSH_LIMITS.retryDelayMsMax);
    let awaySince: number | undefined;
    for (;;) {
      const transport = new HttpTransport(this.options.url, this.options);
      try {
        await this.session(transport, () => {
          if (awaySince !== undefined) this.options.onBack?.({ awayMs: Date.now() - awaySince });
          awaySince = undefined;
          backoff.reset();
        });
        return { ...this.state };
      } catch (error) {
        if (!isRetryable(error) || signal?.aborted) {
          if (signal?.aborted) return { ...this.state };
          throw error;
        }
        if (awaySince === undefined) {
          awaySince = Date.now();
          const queue = await measurePushQueue(this.options.logDir, this.state.nextSeq);
          this.options.onAway?.({ error: error as Error, queue, retryMaxMs: this.options.retryDelayMsMax ?? PUSH_LIMITS.retryDelayMsMax });
        } else if (this.options.giveUpAfterMs !== undefined && Date.now() - awaySince >= this.options.giveUpAfterMs) {
          throw error;
        }
        await sleep(backoff.next(), signal);
        if (signal?.aborted) return { ...this.state };
      } finally {
        transport.close();
      }
    }
  }

  /** One connection's worth of pushing: where the server stands, then batches until caught up or aborted. */
  private async session(transport: HttpTransport, onConnected: () => void): Promise<void> {
    const { signal } = this.options;
    const info = await getJson<LogInfo>(transport, ROUTES.log, signal, 1);
    if (info.acceptsPush !== true) {
      throw new NetError(`${transport.display} does not take pushes (start it with synclog serve --accept-push; protocol 2)`, { url: transport.display, reason: 'push-not-accepted' });
    }
    transport.expectLogId(info.logId);
    this.deltas = info.pushFeatures?.includes(PUSH_FEATURE_VERSION_DELTA) === true;
    const where = await getJson<OriginInfo>(transport, `${PUSH_ROUTES.origin}?log=${this.origin}`, signal, PUSH_PROTOCOL_VERSION);
    onConnected();
    const saved = (await readPushTargets(this.options.logDir)).find((t) => t.serverLogId === info.logId);
    // The server's own word (its log says how far this origin's records are held) wins over a cursor lost or behind.
    this.state.nextSeq = Math.max(saved?.nextSeq ?? 0, where.highSeq + 1, this.state.serverLogId === info.logId ? this.state.nextSeq : 0);
    if (this.state.serverLogId !== info.logId) this.held.clear(); // what another log held says nothing about this one
    this.state.serverLogId = info.logId;
    const save = (nextSeq: number) => savePushTarget(this.options.logDir, { serverLogId: info.logId, url: transport.display, nextSeq, savedAtMs: Date.now() });
    // What the server holds is acknowledged: a cursor behind it (lost, or saved before an ack that was lost) moves up.
    if (saved?.nextSeq !== this.state.nextSeq) await save(this.state.nextSeq);
    // The read has its own signal: a batch shipped while idle can fail with a read still waiting for the next record,
    // and an async generator's return() waits for that read, so without this a refusal sat unreported until a record
    // came (or the watcher stopped).
    const reading = new AbortController();
    const stopReading = () => reading.abort();
    signal?.addEventListener('abort', stopReading, { once: true });
    if (signal?.aborted) reading.abort();
    const entries = this.log.read({ fromSeq: this.state.nextSeq, follow: this.options.follow, signal: reading.signal, withFrames: true })[Symbol.asyncIterator]();
    try {
      let batch = newBatch(this.state.nextSeq);
      for (;;) {
        const step = await nextOrIdle(entries, this.options.follow, async () => {
          if (batch.endSeq > this.state.nextSeq) {
            await this.ship(transport, batch, save);
            batch = newBatch(this.state.nextSeq);
          }
          this.options.onCaughtUp?.({ ...this.state });
        });
        if (step.done) break;
        const entry = step.value;
        this.add(batch, entry);
        if (groupEnds(entry) && full(batch)) {
          await this.ship(transport, batch, save);
          batch = newBatch(this.state.nextSeq);
        }
      }
      if (batch.endSeq > this.state.nextSeq && !signal?.aborted) await this.ship(transport, batch, save);
      if (!signal?.aborted) this.options.onCaughtUp?.({ ...this.state });
    } finally {
      signal?.removeEventListener('abort', stopReading);
      reading.abort();
      await entries.return?.();
    }
  }


  private add(batch: Batch, entry: LogEntry): void {
    batch.endSeq = entry.seq + 1;
    if (entry.tag === RECORD_TAGS.chunk) {
      const head = peekChunkIdAndSize(entry.payload);
      const id = head ? head.id : (decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq }) as { id: Uint8Array }).id;
      batch.chunks.set(contentIdHex(id), entry.payload);
      batch.chunkBytes += entry.payload.length;
      return;
    }
    if (entry.tag !== RECORD_TAGS.version && entry.tag !== RECORD_TAGS.delete && entry.tag !== RECORD_TAGS.watch) return; // params: the server has its own
    const where = { file: entry.segment, offset: entry.offset, seq: entry.seq };
    const record = decodeRecord(entry.tag, entry.payload, where);
    let payload = entry.payload;
    if (record.kind === 'version' || record.kind === 'delete' || record.kind === 'watch') {
      const name = this.options.rootNames?.(record.root) ?? record.root;
      if (name !== record.root) payload = encodeRecord({ ...record, root: name } as LogRecord).payload;
      if (record.kind === 'version') for (const chunk of record.chunks ?? []) batch.wanted.set(contentIdHex(chunk.id), chunk.id);
      if (record.kind === 'version' && (record.chunks?.length ?? 0) >= PUSH_LIMITS.deltaChunksMin) batch.large.set(batch.records.length, record);
    }
    batch.records.push({ seq: entry.seq, tag: entry.tag, payload });
    batch.recordBytes += payload.length + 14;
  }

  /** lacks → uploads → records → cursor: the batch is durable on the server before the cursor moves past it. */
  private async ship(transport: HttpTransport, batch: Batch, save: (nextSeq: number) => Promise<void>): Promise<void> {
    const plan = await this.planBases(batch);
    try {
      await this.shipWith(transport, batch, plan);
    } catch (error) {
      if (!plan.used || !missingOnServer(error)) throw error;
      // A base the server does not hold after all (its log was rebuilt, --as changed): the batch whole, every id asked.
      await this.shipWith(transport, batch, { held: new Set(), records: batch.records, used: false });
    }
    await save(batch.endSeq);
    this.state.nextSeq = batch.endSeq;
    this.options.onBatch?.({ ...this.state });
  }

  private async planBases(batch: Batch): Promise<BasePlan> {
    const plan: BasePlan = { held: new Set(), records: batch.records, used: false };
    if (batch.large.size === 0) return plan;
    const catalog = await this.store.catalog();
    const acknowledged = this.state.nextSeq; // every record below it is durable on this server
    plan.records = [...batch.records];
    for (const [index, version] of batch.large) {
      const base = catalog.history(version.root, version.path).findLast(({ seq, record }) => seq < acknowledged && record.kind === 'version' && record.chunks !== undefined);
      if (base?.record.kind !== 'version' || !base.record.chunks) continue;
      for (const chunk of base.record.chunks) plan.held.add(contentIdHex(chunk.id));
      plan.used = true;
      const delta = this.deltas ? chunkDelta(base.record.chunks, version.chunks!) : undefined;
      if (!delta) continue;
      const root = this.options.rootNames?.(version.root) ?? version.root;
      const { payload } = encodeRecord({ ...version, root, chunks: delta.literals });
      plan.records[index] = { seq: batch.records[index]!.seq, tag: RECORD_TAGS.version, payload, delta: { baseSeq: base.seq, ops: delta.ops } };
    }
    return plan;
  }

  private async shipWith(transport: HttpTransport, batch: Batch, plan: BasePlan): Promise<void> {
    const lacking = await this.lacking(transport, batch, plan.held);
    await this.upload(transport, batch, lacking);
    if (batch.records.length > 0) {
      const reply = await this.pushRecords(transport, plan.records);
      this.state.recordsAppended += reply.appended;
      this.state.recordsSkipped += reply.skipped;
      const last = batch.records[batch.records.length - 1]!.seq;
      if (reply.highSeq < last) throw new NetError(`${transport.display} acknowledged the push only up to seq ${reply.highSeq}, not ${last}`, { url: transport.display, reason: 'protocol' });
    }
  }

  private async lacking(transport: HttpTransport, batch: Batch, heldByBase: ReadonlySet<string>): Promise<Uint8Array[]> {
    const ask: Uint8Array[] = [];
    for (const [hex, id] of batch.wanted) {
      if (this.held.has(hex)) continue;
      if (heldByBase.has(hex)) this.state.chunksHeld++;
      else ask.push(id);
    }
    const lacking: Uint8Array[] = [];
    for (let at = 0; at < ask.length; at += PUSH_LIMITS.lacksIdsPerRequestMax) {
      const ids = ask.slice(at, at + PUSH_LIMITS.lacksIdsPerRequestMax);
      const res = await transport.request('POST', PUSH_ROUTES.lacks, encodeIds(ids), this.options.signal, PUSH_PROTOCOL_VERSION);
      const answer = decodeLacks(await readAll(res, ids.length), ids.length);
      ids.forEach((id, i) => {
        if (answer[i]) lacking.push(id);
        else {
          this.state.chunksHeld++;
          this.remember(contentIdHex(id));
        }
      });
    }
    return lacking;
  }

  /** Uploads the lacking chunks in bodies of about uploadBytesTarget, a few in flight. */
  private async upload(transport: HttpTransport, batch: Batch, lacking: readonly Uint8Array[]): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let body: Uint8Array[] = [uploadHead()];
    let bodyBytes = 0;
    let ids: string[] = [];
    const send = async () => {
      body.push(UPLOAD_END);
      const pieces = body;
      const sentIds = ids;
      const size = pieces.reduce((sum, piece) => sum + piece.length, 0);
      body = [uploadHead()];
      bodyBytes = 0;
      ids = [];
      const sending = transport.request('POST', PUSH_ROUTES.chunks, pieces, this.options.signal, PUSH_PROTOCOL_VERSION).then(async (res) => {
        await readAll(res, NET_LIMITS.infoBodyBytesMax);
        this.state.chunksUploaded += sentIds.length;
        this.state.uploadBytes += size;
        for (const hex of sentIds) this.remember(hex);
      });
      inFlight.add(sending);
      // Both handlers settle: a `.finally()` chained here would be a second promise that rejects with nobody
      // awaiting it, and an upload refused mid-flight (the server killed) then crashed the pusher (unhandled
      // rejection) instead of being retried. The failure itself is awaited below (race, all).
      void sending.then(
        () => inFlight.delete(sending),
        () => inFlight.delete(sending),
      );
      if (inFlight.size >= PUSH_LIMITS.uploadsInFlight) await Promise.race(inFlight);
    };
    for (const id of lacking) {
      const hex = contentIdHex(id);
      const payload = batch.chunks.get(hex) ?? (await this.store.readChunkRecord(id)).payload;
      body.push(uploadChunkHead(payload.length), payload);
      bodyBytes += payload.length + 5;
      ids.push(hex);
      if (bodyBytes >= PUSH_LIMITS.uploadBytesTarget) await send();
    }
    if (ids.length > 0) await send();
    await Promise.all(inFlight);
  }

  private async pushRecords(transport: HttpTransport, records: readonly PushedRecord[]): Promise<PushReply> {
    const pieces: Uint8Array[] = [encodeRecordsHead(this.origin)];
    for (const record of records) pieces.push(encodeRecordHeadForPush(record), record.payload);
    pieces.push(Uint8Array.of(PUSH_MESSAGES.end));
    const res = await transport.request('POST', PUSH_ROUTES.records, pieces, this.options.signal, PUSH_PROTOCOL_VERSION);
    return JSON.parse((await readAll(res, NET_LIMITS.infoBodyBytesMax)).toString('utf8')) as PushReply;
  }

  private remember(hex: string): void {
    if (this.held.size >= PUSH_LIMITS.heldIdsRememberedMax) this.held.clear();
    this.held.add(hex);
  }
}

/** The server refused a record for naming what it does not hold (409 SYNCLOG_NOT_FOUND): a chunk or a delta's base. */
function missingOnServer(error: unknown): boolean {
  return error instanceof NetError && error.details.status === 409 && error.details.code === 'SYNCLOG_NOT_FOUND';
}

function groupEnds(entry: LogEntry): boolean {
  const flags = entry.frame![FRAME_OFFSET.flags]!;
  return flags === FRAME_FLAGS.full || flags === FRAME_FLAGS.last;
}

function full(batch: Batch): boolean {
  return batch.records.length >= PUSH_LIMITS.batchRecordsMax || batch.recordBytes >= BATCH_RECORD_BYTES_MAX || batch.chunkBytes >= BATCH_CHUNK_BYTES_MAX;
}

/** An answer's body, at most `bytesMax`; a cut answer is a retryable NetError. */
async function readAll(res: AsyncIterable<Buffer>, bytesMax: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of res) {
      size += part.length;
      if (size > bytesMax) throw new NetError(`an answer longer than ${bytesMax} bytes`, { url: '', reason: 'protocol' });
      parts.push(part);
    }
  } catch (error) {
    if (error instanceof NetError) throw error;
    throw new NetError(`the answer broke off: ${(error as Error).message}`, { url: '', reason: 'stream-cut', retryable: true }, { cause: error });
  }
  return Buffer.concat(parts, size);
}

async function getJson<T>(transport: HttpTransport, path: string, signal: AbortSignal | undefined, protocol: number): Promise<T> {
  const res = await transport.request('GET', path, undefined, signal, protocol);
  return JSON.parse((await readAll(res, NET_LIMITS.infoBodyBytesMax)).toString('utf8')) as T;
}
