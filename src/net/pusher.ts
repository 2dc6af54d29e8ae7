// The pusher (`synclog push`, `synclog watch --to`): ships a local log's records to a server that takes pushes
// (docs/protocol.md "Push"), in log order, sending only the chunks the server lacks. Owns: the lacks → upload →
// records exchange of each batch (push-batch.ts), pipelined (ship-pipeline.ts: the next batches are read, asked about
// and uploaded while the oldest waits for its records' durable answer), renaming roots (--as), retrying while the
// server is away (one notice per outage, with what is queued), and saving the cursor after each acknowledged batch.
// Never saves the cursor before the server said the records are durable; never sends a batch's records before the
// previous batch's were acknowledged, nor before its own chunks are, so records append in order, exactly once.
import { NetError, UsageError } from '../errors.js';
import { initChecksum, Log, readLogId, type LogEntry } from '../log/index.js';
import { nextOrIdle } from './next-or-idle.js';
import { contentIdHex, encodeRecord, RECORD_TAGS } from '../record/index.js';
import { openStore, type StoreApi } from '../store/index.js';
import { PUSH_LIMITS, NET_LIMITS } from '../util/limits.js';
import { readAnswer } from './answer-body.js';
import { Outage } from './backoff.js';
import { HttpTransport, isRetryable, type TransportOptions } from './http-client.js';
import { ROUTES, type LogInfo } from './protocol.js';
import { measurePushQueue, readPushTargets, savePushTarget, type PushQueue } from './push-cursor.js';
import { addToBatch, batchBytes, batchCloses, newBatch, type Batch, type RootNames } from './push-batch.js';
import { ChunkUploader } from './push-uploader.js';
import { ShipPipeline } from './ship-pipeline.js';
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
  type OriginInfo,
  type PushedRecord,
  type PushReply,
} from './push-protocol.js';

export type { RootNames } from './push-batch.js';

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

/** A batch whose chunks are asked about and queued: what its commit needs. */
interface Prepared {
  plan: BasePlan;
  /** Resolves once every chunk the batch needs (its own uploads, and those of earlier batches it shares) is durable. */
  chunksDurable: Promise<unknown>;
}

/** What the stages of one session's batches share. */
interface ShipContext {
  transport: HttpTransport;
  uploader: ChunkUploader;
  save: (nextSeq: number) => Promise<void>;
  /** Aborts with the caller's signal, and when the session fails. */
  signal: AbortSignal;
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
    const outage = new Outage({
      giveUpAfterMs: this.options.giveUpAfterMs,
      retryDelayMsFirst: this.options.retryDelayMsFirst ?? PUSH_LIMITS.retryDelayMsFirst,
      retryDelayMsMax: this.options.retryDelayMsMax ?? PUSH_LIMITS.retryDelayMsMax,
    });
    for (;;) {
      const transport = new HttpTransport(this.options.url, this.options);
      try {
        await this.session(transport, () => {
          const awayMs = outage.over();
          if (awayMs !== undefined) this.options.onBack?.({ awayMs });
        });
        return { ...this.state };
      } catch (error) {
        if (!isRetryable(error) || signal?.aborted) {
          if (signal?.aborted) return { ...this.state };
          throw error;
        }
        // Said once per outage, with what waits meanwhile; then the pauses (and giving up) are the Outage's.
        if (!outage.away) {
          const queue = await measurePushQueue(this.options.logDir, this.state.nextSeq);
          this.options.onAway?.({ error: error as Error, queue, retryMaxMs: this.options.retryDelayMsMax ?? PUSH_LIMITS.retryDelayMsMax });
        }
        await outage.pause(error as Error, signal);
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
    // Requests of a session that failed are cut at once (their batches can never be acknowledged in this session).
    const requests = new AbortController();
    const requestSignal = signal ? AbortSignal.any([signal, requests.signal]) : requests.signal;
    const uploader = new ChunkUploader(transport, requestSignal, (ids, bytes) => this.uploaded(ids, bytes));
    const ctx: ShipContext = { transport, uploader, save, signal: requestSignal };
    const pipeline = new ShipPipeline<Batch, Prepared>(
      { prepare: (batch) => this.prepare(ctx, batch), commit: (batch, prepared) => this.commit(ctx, batch, prepared) },
      { batchesMax: PUSH_LIMITS.batchesInFlightMax, bytesMax: PUSH_LIMITS.batchBytesInFlightMax },
    );
    const entries = this.log.read({ fromSeq: this.state.nextSeq, follow: this.options.follow, signal: reading.signal, withFrames: true })[Symbol.asyncIterator]();
    try {
      await this.shipAll(entries, pipeline);
    } finally {
      requests.abort();
      await pipeline.settled();
      await uploader.settled();
      signal?.removeEventListener('abort', stopReading);
      reading.abort();
      await entries.return?.();
    }
  }

  /**
   * Reads the log into batches and hands each to the pipeline as it closes (at a group's end, once full), so it is
   * read while older batches ship; idle (following, nothing new), what is read ships and is waited for.
   */
  private async shipAll(entries: AsyncIterator<LogEntry>, pipeline: ShipPipeline<Batch, Prepared>): Promise<void> {
    const { signal } = this.options;
    let batch = newBatch(this.state.nextSeq);
    const submit = async () => {
      const closed = batch;
      batch = newBatch(closed.endSeq);
      await pipeline.submit(closed, batchBytes(closed));
    };
    for (;;) {
      const step = await nextOrIdle(entries, this.options.follow, async () => {
        if (batch.endSeq > batch.fromSeq) await submit();
        await pipeline.drain();
        this.options.onCaughtUp?.({ ...this.state });
      });
      if (step.done) break;
      const entry = step.value;
      addToBatch(batch, entry, this.options.rootNames);
      if (batchCloses(batch, entry)) await submit();
    }
    if (signal?.aborted) return;
    if (batch.endSeq > batch.fromSeq) await submit();
    await pipeline.drain();
    if (!signal?.aborted) this.options.onCaughtUp?.({ ...this.state });
  }

  /**
   * A batch's first half, which may run ahead of older batches' acknowledgements: find the bases, ask about the chunks
   * the server may lack and queue their uploads. Resolves once everything is queued; `chunksDurable` once answered.
   */
  private async prepare(ctx: ShipContext, batch: Batch): Promise<Prepared> {
    const plan = await this.planBases(batch);
    const { durable } = await this.sendChunks(ctx, batch, plan.held);
    return { plan, chunksDurable: durable };
  }

  /**
   * A batch's second half, strictly after the previous batch's: its records, once its chunks are durable, then the
   * cursor. The batch is durable on the server before the cursor moves past it.
   */
  private async commit(ctx: ShipContext, batch: Batch, prepared: Prepared): Promise<void> {
    try {
      await prepared.chunksDurable;
      await this.pushBatchRecords(ctx, batch, prepared.plan.records);
    } catch (error) {
      if (!prepared.plan.used || !missingOnServer(error)) throw error;
      // A base the server does not hold after all (its log was rebuilt, --as changed): the batch whole, every id asked.
      await (await this.sendChunks(ctx, batch, new Set())).durable;
      await this.pushBatchRecords(ctx, batch, batch.records);
    }
    await ctx.save(batch.endSeq);
    this.state.nextSeq = batch.endSeq;
    this.options.onBatch?.({ ...this.state });
  }

  private async planBases(batch: Batch): Promise<BasePlan> {
    const plan: BasePlan = { held: new Set(), records: batch.records, used: false };
    if (batch.large.size === 0) return plan;
    const catalog = await this.store.catalog();
    // Every record below the cursor is durable on this server (a batch planned while older ones are in flight sees
    // the cursor before them: their versions are simply not taken as bases).
    const acknowledged = this.state.nextSeq;
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

  private async pushBatchRecords(ctx: ShipContext, batch: Batch, records: readonly PushedRecord[]): Promise<void> {
    if (batch.records.length === 0) return;
    const { transport } = ctx;
    const reply = await this.pushRecords(ctx, records);
    this.state.recordsAppended += reply.appended;
    this.state.recordsSkipped += reply.skipped;
    const last = batch.records[batch.records.length - 1]!.seq;
    if (reply.highSeq < last) throw new NetError(`${transport.display} acknowledged the push only up to seq ${reply.highSeq}, not ${last}`, { url: transport.display, reason: 'protocol' });
  }

  /**
   * Asks about the chunks the batch's versions name that the server is not known to hold, and queues the uploads of
   * those it lacks. A chunk an earlier batch is uploading is not asked about: the batch waits for that upload.
   * Resolves, once everything is asked and queued, with the promise that the batch's chunks are durable (wrapped: an
   * async function's promise would otherwise wait for it).
   */
  private async sendChunks(ctx: ShipContext, batch: Batch, heldByBase: ReadonlySet<string>): Promise<{ durable: Promise<unknown> }> {
    const { transport, uploader } = ctx;
    const waits: Promise<void>[] = [];
    const ask: Uint8Array[] = [];
    for (const [hex, id] of batch.wanted) {
      if (this.held.has(hex)) continue;
      const pending = uploader.pendingFor(hex);
      if (pending) waits.push(pending);
      else if (heldByBase.has(hex)) this.state.chunksHeld++;
      else ask.push(id);
    }
    for (let at = 0; at < ask.length; at += PUSH_LIMITS.lacksIdsPerRequestMax) {
      const ids = ask.slice(at, at + PUSH_LIMITS.lacksIdsPerRequestMax);
      const res = await transport.request('POST', PUSH_ROUTES.lacks, encodeIds(ids), ctx.signal, PUSH_PROTOCOL_VERSION);
      const answer = decodeLacks(await readAnswer(res, ids.length), ids.length);
      for (const [i, id] of ids.entries()) {
        const hex = contentIdHex(id);
        if (!answer[i]) {
          this.state.chunksHeld++;
          this.remember(hex);
          continue;
        }
        const payload = batch.chunks.get(hex) ?? (await this.store.readChunkRecord(id)).payload;
        waits.push(uploader.queue(hex, payload));
        await uploader.room();
      }
    }
    uploader.flush();
    const durable = Promise.all(waits);
    void durable.catch(() => {}); // awaited by the commit, which may never come when an earlier batch failed
    return { durable };
  }

  private uploaded(ids: readonly string[], bodyBytes: number): void {
    this.state.chunksUploaded += ids.length;
    this.state.uploadBytes += bodyBytes;
    for (const hex of ids) this.remember(hex);
  }

  private async pushRecords(ctx: ShipContext, records: readonly PushedRecord[]): Promise<PushReply> {
    const pieces: Uint8Array[] = [encodeRecordsHead(this.origin)];
    for (const record of records) pieces.push(encodeRecordHeadForPush(record), record.payload);
    pieces.push(Uint8Array.of(PUSH_MESSAGES.end));
    const res = await ctx.transport.request('POST', PUSH_ROUTES.records, pieces, ctx.signal, PUSH_PROTOCOL_VERSION);
    return JSON.parse((await readAnswer(res, NET_LIMITS.infoBodyBytesMax)).toString('utf8')) as PushReply;
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

async function getJson<T>(transport: HttpTransport, path: string, signal: AbortSignal | undefined, protocol: number): Promise<T> {
  const res = await transport.request('GET', path, undefined, signal, protocol);
  return JSON.parse((await readAnswer(res, NET_LIMITS.infoBodyBytesMax)).toString('utf8')) as T;
}
