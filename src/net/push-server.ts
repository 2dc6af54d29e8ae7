// The server side of the push exchange (docs/protocol.md "Push"): a LogServer started with acceptPush is the single
// writer of its log and appends what clients push. Owns: the per-origin high-water marks and root owners (derived
// from the log itself at open: every record it appended for a client carries `origin`), checking every body in full
// before anything is appended, and appending under one lock so two clients never interleave inside a batch.
// Never appends a chunk that does not hash to its id, a version naming a chunk the log does not hold, a record of a
// root another origin owns, or a record at or below its origin's high-water mark; never answers before what it
// appended is durable. A refused request leaves the log byte for byte as it was.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorruptionError } from '../errors.js';
import type { Log } from '../log/index.js';
import { assert } from '../util/assert.js';
import { contentIdHex, decodeRecord, decodeRecordWithChunks, RECORD_TAGS, type ChunkRecord, type EntryRecord, type LogRecord, type WatchRecord } from '../record/index.js';
import { checkChunkRecord, CONTENT_ID_BYTES, readyCodecs, type CatalogApi, type Store } from '../store/index.js';
import { PUSH_LIMITS } from '../util/limits.js';
import { HttpRefusal, sendJson } from './http-reply.js';
import { HEADERS } from './protocol.js';
import { readRequestBody } from './request-body.js';
import {
  decodeRecordsBody,
  decodeUpload,
  DeltaError,
  encodeLacks,
  expandChunkDelta,
  isLogId,
  PUSH_PROTOCOL_VERSION,
  PUSH_ROUTES,
  PushBodyError,
  type OriginInfo,
  type PushReply,
  type UploadReply,
  type VersionDelta,
} from './push-protocol.js';

/** Counters of what clients pushed (tests and benchmarks assert on bytes received; `serve --json` prints them). */
export interface PushStats {
  lacksAsked: number;
  /** Body bytes of chunk uploads. */
  chunkBytesReceived: number;
  chunksReceived: number;
  chunksStored: number;
  /** Body bytes of record pushes. */
  recordBytesReceived: number;
  recordsAppended: number;
  recordsSkipped: number;
  /** Requests refused for their content (400, 409, 413). */
  refused: number;
}

/** Told after each record push that appended or skipped something (serve prints it). */
export interface PushEvent extends PushReply {
  stats: PushStats;
}

export interface PushReceiverOptions {
  /** Say so when refusing a pushed forget or prune record (docs/format.md "Append-only servers"). */
  appendOnly?: boolean;
  /** The open writer log `store` was opened over, for asWriter (server-side retention). */
  log?: Log;
}

/** The owner of a root the server's log recorded itself (records without origin). */
const LOCAL_OWNER = '';

type EntryOrWatch = EntryRecord | WatchRecord;

export class PushReceiver {
  readonly stats: PushStats = { lacksAsked: 0, chunkBytesReceived: 0, chunksReceived: 0, chunksStored: 0, recordBytesReceived: 0, recordsAppended: 0, recordsSkipped: 0, refused: 0 };
  private readonly highSeq = new Map<string, number>();
  private readonly owners = new Map<string, string>();
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: Store,
    private readonly onPush: ((event: PushEvent) => void) | undefined,
    private readonly appendOnly: boolean,
    private readonly log: Log | undefined,
  ) {}

  /**
   * Derives the high-water marks and root owners from the log (one pass over its version, delete and watch records;
   * chunks are skipped undecoded), so a restarted server knows exactly what it holds: no side file to disagree.
   */
  static async open(store: Store, onPush?: (event: PushEvent) => void, options: PushReceiverOptions = {}): Promise<PushReceiver> {
    await readyCodecs(); // checking a compressed chunk inflates it synchronously
    const receiver = new PushReceiver(store, onPush, options.appendOnly === true, options.log);
    for await (const { record } of store.entries({ kinds: ['version', 'delete', 'watch'] })) receiver.learn(record as EntryOrWatch);
    return receiver;
  }

  private learn(record: EntryOrWatch): void {
    const owner = record.origin?.log ?? LOCAL_OWNER;
    if (!this.owners.has(record.root)) this.owners.set(record.root, owner);
    if (record.origin && record.origin.seq > (this.highSeq.get(owner) ?? -1)) this.highSeq.set(owner, record.origin.seq);
  }

  async close(): Promise<void> {
    await this.lock.catch(() => {});
    await this.store.close();
  }

  /** One push request (already authorized with the push scope). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, headers: Record<string, string>): Promise<void> {
    const pushHeaders = { ...headers, [HEADERS.protocol]: String(PUSH_PROTOCOL_VERSION) };
    const method = req.method ?? 'GET';
    const want = (wanted: string) => {
      if (method !== wanted) throw new HttpRefusal(405, 'SYNCLOG_USAGE', `${url.pathname} takes ${wanted}`);
    };
    try {
      switch (url.pathname) {
        case PUSH_ROUTES.origin:
          want('GET');
          return sendJson(res, 200, this.originInfo(url.searchParams), pushHeaders);
        case PUSH_ROUTES.lacks: {
          want('POST');
          const body = await readBody(req, PUSH_LIMITS.lacksIdsPerRequestMax * CONTENT_ID_BYTES);
          return sendLacks(res, this.lacks(body), pushHeaders);
        }
        case PUSH_ROUTES.chunks:
          want('POST');
          return sendJson(res, 200, await this.upload(await readBody(req, PUSH_LIMITS.chunkBodyBytesMax)), pushHeaders);
        case PUSH_ROUTES.records:
          want('POST');
          return sendJson(res, 200, await this.records(await readBody(req, PUSH_LIMITS.recordBodyBytesMax)), pushHeaders);
        default:
          throw new HttpRefusal(404, 'SYNCLOG_NOT_FOUND', `no such resource ${JSON.stringify(url.pathname.slice(0, 128))}`);
      }
    } catch (error) {
      if (error instanceof HttpRefusal && error.status !== 404 && error.status !== 405) this.stats.refused++;
      throw error;
    }
  }

  private originInfo(params: URLSearchParams): OriginInfo {
    const origin = params.get('log') ?? '';
    if (!isLogId(origin) || [...params.keys()].length !== 1) throw new HttpRefusal(400, 'SYNCLOG_USAGE', 'give the client log id as ?log=ID');
    const roots = [...this.owners].filter(([, owner]) => owner === origin).map(([root]) => root).sort();
    return { origin, highSeq: this.highSeq.get(origin) ?? -1, roots };
  }

  private lacks(body: Buffer): boolean[] {
    if (body.length === 0 || body.length % CONTENT_ID_BYTES !== 0) throw new HttpRefusal(400, 'SYNCLOG_USAGE', `the body must be 1 to ${PUSH_LIMITS.lacksIdsPerRequestMax} chunk ids of ${CONTENT_ID_BYTES} bytes`);
    this.stats.lacksAsked += body.length / CONTENT_ID_BYTES;
    const lacking: boolean[] = [];
    for (let at = 0; at < body.length; at += CONTENT_ID_BYTES) lacking.push(!this.store.hasChunk(body.subarray(at, at + CONTENT_ID_BYTES)));
    return lacking;
  }

  /** Checks every chunk of the upload (decodes, inflates, size, BLAKE3 against its id), then appends those it lacks. */
  private async upload(body: Buffer): Promise<UploadReply> {
    this.stats.chunkBytesReceived += body.length;
    const chunks = bodyOrRefuse(() => decodeUpload(body)).map((payload, i) => checkedChunk(payload, i));
    this.stats.chunksReceived += chunks.length;
    const stored = await this.exclusive(async () => {
      const seen = new Set<string>();
      const fresh = chunks.filter((chunk) => {
        const hex = contentIdHex(chunk.id);
        if (seen.has(hex) || this.store.hasChunk(chunk.id)) return false;
        seen.add(hex);
        return true;
      });
      if (fresh.length > 0) await this.store.appendRecords(fresh);
      return fresh.length;
    });
    this.stats.chunksStored += stored;
    return { received: chunks.length, stored, bytes: body.length };
  }

  /** Checks the whole push (decodes, order, owners, chunks held), then appends the new records as one atomic group. */
  private async records(body: Buffer): Promise<PushReply> {
    this.stats.recordBytesReceived += body.length;
    const { origin, records } = bodyOrRefuse(() => decodeRecordsBody(body));
    if (records.length > PUSH_LIMITS.recordsPerRequestMax) throw new HttpRefusal(413, 'SYNCLOG_LIMIT', `at most ${PUSH_LIMITS.recordsPerRequestMax} records per push`);
    let previous = -1;
    // Deltas name their base by the origin stamp the server appended it with: the catalog finds it by path.
    const catalog = records.some((record) => record.delta) ? await this.store.catalog() : undefined;
    const decoded = records.map(({ seq, tag, payload, delta }) => {
      if (seq <= previous) throw new HttpRefusal(400, 'SYNCLOG_USAGE', `record seq ${seq} after ${previous}: a push is in the client's log order`);
      previous = seq;
      // Retention is the server's own business (docs/format.md "Append-only servers"): a push token may add versions,
      // never make the server drop any; refused before anything is appended, whatever else the push holds.
      if (tag === RECORD_TAGS.forget || tag === RECORD_TAGS.pruned) {
        const why = this.appendOnly ? 'this server is append-only: a push may add versions, never forget or prune them' : 'forget and prune records are never pushed: retention runs on the server';
        throw new HttpRefusal(403, 'SYNCLOG_AUTH', `record ${seq}: ${why}`);
      }
      if (tag !== RECORD_TAGS.version && tag !== RECORD_TAGS.delete && tag !== RECORD_TAGS.watch) throw new HttpRefusal(400, 'SYNCLOG_USAGE', `record ${seq}: only version, delete and watch records are pushed (tag ${tag})`);
      if (!delta) return { seq, record: decodePushed(tag, payload, seq, origin) };
      if (tag !== RECORD_TAGS.version) throw new HttpRefusal(400, 'SYNCLOG_USAGE', `record ${seq}: only a version record travels as a delta`);
      return { seq, record: decodeDelta(payload, seq, origin, delta, catalog!) };
    });
    const reply = await this.exclusive(async () => {
      const high = this.highSeq.get(origin) ?? -1;
      const fresh = decoded.filter((item) => item.seq > high);
      this.checkOwners(origin, fresh.map((item) => item.record));
      for (const { record } of fresh) this.checkChunksHeld(record);
      if (fresh.length > 0) {
        // The origin is the server's, replaced whole: a client cannot set its own receive time (docs/format.md).
        const receivedMs = Date.now();
        const stamped = fresh.map(({ seq, record }) => ({ ...record, origin: { log: origin, seq, receivedMs } }) as LogRecord);
        await this.store.appendAtomic(stamped);
        for (const record of stamped) this.learn(record as EntryOrWatch);
      }
      return { origin, highSeq: this.highSeq.get(origin) ?? -1, appended: fresh.length, skipped: decoded.length - fresh.length };
    });
    this.stats.recordsAppended += reply.appended;
    this.stats.recordsSkipped += reply.skipped;
    if (decoded.length > 0) this.onPush?.({ ...reply, stats: { ...this.stats } });
    return reply;
  }

  /** A root belongs to the first origin that pushed it (or to the server, when its log recorded it itself). */
  private checkOwners(origin: string, records: readonly EntryOrWatch[]): void {
    for (const record of records) {
      const owner = this.owners.get(record.root);
      if (owner === undefined || owner === origin) continue;
      const whose = owner === LOCAL_OWNER ? 'this server records it itself' : `the client with log ${owner} pushes it`;
      throw new HttpRefusal(409, 'SYNCLOG_USAGE', `root ${JSON.stringify(record.root)} belongs to another writer (${whose}); push this folder under another name with --as NAME`);
    }
  }

  private checkChunksHeld(record: EntryOrWatch): void {
    if (record.kind !== 'version' || !record.chunks) return;
    for (const chunk of record.chunks) {
      if (this.store.hasChunk(chunk.id)) continue;
      throw new HttpRefusal(409, 'SYNCLOG_NOT_FOUND', `version ${record.versionId} (${JSON.stringify(`${record.root}/${record.path}`)}) names chunk ${contentIdHex(chunk.id)}, which the server does not hold: upload it first`);
    }
  }

  /**
   * Runs `body` on the log as its only writer, between pushes (a push waits, it is not refused), then has the store
   * read again what `body` changed behind it (docs/format.md "Server-side retention"): a prune that removed a chunk
   * must never let a later push name it. Needs the log the store was opened over (PushReceiverOptions.log).
   */
  asWriter<T>(body: (log: Log) => Promise<T>): Promise<T> {
    const log = this.log;
    assert(log !== undefined, 'asWriter on a push receiver opened without its log');
    return this.exclusive(async () => {
      await this.store.flush();
      try {
        return await body(log);
      } finally {
        await this.store.logChanged();
      }
    });
  }

  /** Runs `body` after every earlier append (the server is the log's single writer; batches never interleave). */
  private exclusive<T>(body: () => Promise<T>): Promise<T> {
    const run = this.lock.then(body, body);
    this.lock = run.catch(() => {});
    return run;
  }
}

function bodyOrRefuse<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof PushBodyError || error instanceof DeltaError) throw new HttpRefusal(400, 'SYNCLOG_USAGE', error.message);
    throw error;
  }
}

function checkedChunk(payload: Uint8Array, index: number): ChunkRecord {
  let record: LogRecord;
  try {
    record = decodeRecord(RECORD_TAGS.chunk, payload, { file: 'upload', seq: index });
    if (record.kind !== 'chunk') throw new HttpRefusal(400, 'SYNCLOG_USAGE', `upload entry ${index} is not a chunk record`);
    checkChunkRecord(record, record.id, { segment: 'upload', offset: index, size: record.size });
  } catch (error) {
    if (error instanceof CorruptionError) throw new HttpRefusal(400, 'SYNCLOG_CORRUPT', `upload entry ${index} is refused: ${error.where.reason}`);
    throw error;
  }
  // The data stays a view into the request body (the log writes it from there, and it is not kept after: every
  // stored byte copied again cost a tenth of an upload's time); the id is kept by the chunk index, and a view would
  // keep the whole body alive with it.
  return { ...record, id: new Uint8Array(record.id) };
}

function decodePushed(tag: number, payload: Uint8Array, seq: number, origin: string): EntryOrWatch {
  try {
    return decodeRecord(tag, payload, { file: `push from ${origin}`, seq }) as EntryOrWatch;
  } catch (error) {
    if (error instanceof CorruptionError) throw new HttpRefusal(400, 'SYNCLOG_USAGE', `record ${seq} is refused: ${error.where.reason}`);
    throw error;
  }
}

/**
 * A version delta expanded to the full record (docs/protocol.md "Version deltas"): its base is the version of the same
 * root and path that this server appended from `origin` with client seq `delta.baseSeq`. A base the server does not
 * hold is 409 (the client then sends the record whole); the expanded record is checked like any pushed record.
 */
function decodeDelta(payload: Uint8Array, seq: number, origin: string, delta: VersionDelta, catalog: CatalogApi): EntryOrWatch {
  try {
    return decodeRecordWithChunks(RECORD_TAGS.version, payload, (literals, fields) => {
      const { root, path } = fields;
      const history = typeof root === 'string' && typeof path === 'string' ? catalog.history(root, path) : [];
      const base = history.findLast(({ record }) => record.kind === 'version' && record.origin?.log === origin && record.origin.seq === delta.baseSeq)?.record;
      if (base?.kind !== 'version' || !base.chunks) throw new HttpRefusal(409, 'SYNCLOG_NOT_FOUND', `record ${seq} is a delta against client seq ${delta.baseSeq}, a version this server does not hold at that path: send it whole`);
      return bodyOrRefuse(() => expandChunkDelta(delta.ops, base.chunks!, literals, PUSH_LIMITS.deltaChunksMax));
    }, { file: `push from ${origin}`, seq }) as EntryOrWatch;
  } catch (error) {
    if (error instanceof CorruptionError) throw new HttpRefusal(400, 'SYNCLOG_USAGE', `record ${seq} is refused: ${error.where.reason}`);
    throw error;
  }
}

/** The request body, at most `bytesMax` (413 beyond it: src/net/request-body.ts drains the rest). */
function readBody(req: IncomingMessage, bytesMax: number): Promise<Buffer> {
  return readRequestBody(req, bytesMax, () => new HttpRefusal(413, 'SYNCLOG_LIMIT', `the body is larger than ${bytesMax} bytes`));
}

function sendLacks(res: ServerResponse, lacking: boolean[], headers: Record<string, string>): void {
  const bitmap = encodeLacks(lacking);
  res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bitmap.length) });
  res.end(bitmap);
}
