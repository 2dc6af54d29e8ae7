// RemoteLog: a log served by `synclog serve`, read over HTTP(S) with the same `read()` contract as a local Log
// (src/log: records in seq order from `fromSeq`, optionally following, ended by an AbortSignal), plus chunk fetches
// by id. Owns the client half of docs/protocol.md: it verifies every frame's checksum with its segment's salt and
// every chunk's BLAKE3 hash against its id, refuses a server that starts serving another log, and retries with
// backoff (full jitter) while the server is away, resuming after the last record it verified.
// Never yields a byte it has not verified, nor a record out of order.
import type { IncomingMessage } from 'node:http';
import { CorruptionError, NetError, UsageError, deserializeError } from '../errors.js';
import { checkFromSeq, decodeFrame, decodeFrameHeader, FRAME_HEADER_BYTES, initChecksum, SEGMENT_HEADER_BYTES, segmentFileName, type LogEntry, type ReadOptions } from '../log/index.js';
import type { ContentIdBytes } from '../record/index.js';
import { checkFetchedChunk, CONTENT_ID_BYTES, readyCodecs } from '../store/index.js';
import { LIMITS, NET_LIMITS } from '../util/limits.js';
import { Outage, retrying, type ErrorClassifier, type OutageOptions } from './backoff.js';
import { HttpTransport, isRetryable, type TransportOptions } from './http-client.js';
import { MessageReader } from './message-reader.js';
import { CHUNK_MESSAGES, CHUNK_STREAM_MAGIC, END_REASONS, READ_FEATURE_VERSION_DELTA, readMessageU64, RECORD_MESSAGES, RECORD_STREAM_MAGIC, ROUTES, type ErrorBody, type LogInfo } from './protocol.js';
import { readDeltaMessage, rebuildDelta, type DeltaBaseSource, type StreamSegment } from './read-delta.js';

export type { DeltaBaseSource } from './read-delta.js';

export interface RemoteLogOptions extends TransportOptions, OutageOptions {}

/** RemoteLog.read's options: a local Log's, plus where delta bases come from (none: every record is asked whole). */
export interface RemoteReadOptions extends ReadOptions {
  deltaBases?: DeltaBaseSource;
}

/** A transport failure that may pass (refused, reset, 503…) is retried; anything else is thrown as it is. */
const classifyHttpError: ErrorClassifier = (raw) => ({ error: raw instanceof Error ? raw : new Error(String(raw)), passing: isRetryable(raw) });

/**
 * Done with an answer: one read to its end goes back to the keep-alive pool (a follower's next request reuses the
 * connection); one left unread or broken is destroyed, so no stale bytes can reach the next request.
 */
function release(res: IncomingMessage): void {
  if (!res.complete || res.readableLength > 0) res.destroy();
}

function protocolError(url: string, what: string): NetError {
  return new NetError(`${url} sent a malformed answer: ${what}`, { url, reason: 'protocol' });
}

function u64(bytes: Buffer, at: number, url: string): number {
  return readMessageU64(bytes, at, (what) => protocolError(url, what));
}

async function readErrorMessage(reader: MessageReader, url: string): Promise<Error> {
  const length = (await reader.read(4)).readUInt32LE(0);
  if (length > NET_LIMITS.errorBodyBytesMax) throw protocolError(url, 'an error message too long');
  let body: Partial<ErrorBody>;
  try {
    body = JSON.parse((await reader.read(length)).toString('utf8')) as Partial<ErrorBody>;
  } catch {
    return protocolError(url, 'an error message that is not JSON');
  }
  const message = typeof body.message === 'string' ? body.message : 'unknown error';
  if (typeof body.name === 'string' && body.details && typeof body.details === 'object') return deserializeError({ name: body.name, message, details: body.details });
  return new NetError(`${url}: ${message}`, { url, code: body.code });
}

/** A chunk's record as the server sent it (as its log stores it: maybe compressed), not yet checked. */
export interface FetchedChunkRecord {
  tag: number;
  payload: Uint8Array;
}

/** What a RemoteLog has fetched (for tests, benchmarks and the CLI's summary). */
export interface RemoteLogStats {
  chunksFetched: number;
  /** Bytes of chunk records received (compressed as the log stores them). */
  chunkBytesFetched: number;
  /** Bytes of content they held (counted as each is checked: on this thread or a content-writer thread). */
  chunkBytesInflated: number;
}

/** What a RemoteLog did with read deltas (tests, benchmarks). */
export interface RemoteDeltaStats {
  /** Version records that came as read deltas and were rebuilt and verified. */
  expanded: number;
  /** Deltas that could not be (base unknown, ops out of range, checksum failed): those records were asked whole. */
  refused: number;
}

export class RemoteLog {
  readonly stats: RemoteLogStats = { chunksFetched: 0, chunkBytesFetched: 0, chunkBytesInflated: 0 };
  readonly deltaStats: RemoteDeltaStats = { expanded: 0, refused: 0 };

  private constructor(
    private readonly transport: HttpTransport,
    private readonly options: RemoteLogOptions,
    readonly logId: string,
    /** The server sends read deltas when asked (its GET /v1/log lists the feature): protocol 4. */
    readonly readsDeltas: boolean,
  ) {}

  /** Asks the server which log it serves (retrying while it is away); every later answer must be about that log. */
  static async connect(url: string, options: RemoteLogOptions = {}, signal?: AbortSignal): Promise<RemoteLog> {
    // Frames are checked with xxh64; chunks arrive compressed as stored and are inflated to be checked.
    await Promise.all([initChecksum(), readyCodecs()]);
    const transport = new HttpTransport(url, options);
    try {
      const probe = new RemoteLog(transport, options, '', false);
      const info = await probe.info(signal);
      transport.expectLogId(info.logId);
      const readsDeltas = Array.isArray(info.readFeatures) && info.readFeatures.includes(READ_FEATURE_VERSION_DELTA);
      return new RemoteLog(transport, options, info.logId, readsDeltas);
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  get url(): string {
    return this.transport.display;
  }

  /** Identity, head and durable seq now. */
  info(signal?: AbortSignal): Promise<LogInfo> {
    return this.retrying(signal, async () => {
      const res = await this.transport.request('GET', ROUTES.log, undefined, signal);
      const parts: Buffer[] = [];
      let size = 0;
      for await (const part of res as AsyncIterable<Buffer>) {
        size += part.length;
        if (size > NET_LIMITS.infoBodyBytesMax) throw protocolError(this.url, 'a log description too long');
        parts.push(part);
      }
      const info = JSON.parse(Buffer.concat(parts).toString('utf8')) as Partial<LogInfo>;
      if (typeof info.logId !== 'string' || typeof info.durableSeq !== 'number' || typeof info.nextSeq !== 'number') throw protocolError(this.url, 'a log description without logId, nextSeq, durableSeq');
      return info as LogInfo;
    });
  }

  /**
   * Records in seq order from `fromSeq` (the contract of Log.read; `lendTags` is ignored: payloads are copies). With
   * `deltaBases`, and a server that offers them, version records may come as deltas: each is rebuilt and its frame
   * verified as any other, or asked again whole; what is yielded is the same either way.
   */
  async *read(options: RemoteReadOptions = {}): AsyncIterableIterator<LogEntry> {
    const fromSeq = options.fromSeq ?? 0;
    checkFromSeq(fromSeq);
    const follow = options.follow === true;
    const signal = options.signal;
    // No tag wanted: nothing can match (as a local reader yields nothing), and `tags=` would be a malformed request.
    if (options.tags?.length === 0) return;
    const outage = new Outage(this.options);
    const deltaBases = this.readsDeltas ? options.deltaBases : undefined;
    let next = fromSeq;
    for (;;) {
      if (signal?.aborted) return;
      const query = new URLSearchParams({ from: String(next) });
      if (follow) query.set('wait', String(NET_LIMITS.followWaitMs));
      if (options.tags) query.set('tags', options.tags.join(','));
      if (deltaBases) query.set('delta', '1');
      let res: IncomingMessage | undefined;
      try {
        res = await this.transport.request('GET', `${ROUTES.records}?${query}`, undefined, signal);
        const reader = new MessageReader(res, this.url);
        const stream = this.recordStream(reader, next, deltaBases && { bases: deltaBases, signal });
        let ended: { nextSeq: number; reason: number } | undefined;
        for (;;) {
          const step = await stream.next();
          if (step.done) {
            ended = step.value;
            break;
          }
          next = step.value.seq + 1;
          outage.over();
          const { frame, salt, ...entry } = step.value;
          yield options.withFrames === true ? { ...entry, frame, salt } : entry;
          if (signal?.aborted) return;
        }
        outage.over();
        next = Math.max(next, ended.nextSeq);
        if (!follow && ended.reason === END_REASONS.caughtUp) return;
      } catch (error) {
        if (signal?.aborted) return;
        const { error: failure, passing } = classifyHttpError(error);
        if (!passing) throw failure;
        await outage.pause(failure, signal);
      } finally {
        if (res) release(res);
      }
    }
  }

  /** The log's first record (a new log's is its params record), or undefined in an empty log. One short request. */
  first(signal?: AbortSignal): Promise<LogEntry | undefined> {
    return this.retrying(signal, async () => {
      const res = await this.transport.request('GET', `${ROUTES.records}?from=0&limit=1`, undefined, signal);
      try {
        const step = await this.recordStream(new MessageReader(res, this.url), 0).next();
        return step.done ? undefined : step.value;
      } finally {
        release(res);
      }
    });
  }

  /** Parses one record stream (with `deltas`: one asked with delta=1); returns its `end` message. */
  private async *recordStream(reader: MessageReader, fromSeq: number, deltas?: { bases: DeltaBaseSource; signal: AbortSignal | undefined }): AsyncGenerator<LogEntry, { nextSeq: number; reason: number }> {
    const url = this.url;
    const magic = await reader.read(RECORD_STREAM_MAGIC.length);
    if (!magic.equals(RECORD_STREAM_MAGIC)) throw protocolError(url, 'not a record stream');
    let segment: StreamSegment | undefined;
    let lastSeq = fromSeq - 1;
    for (;;) {
      const type = await reader.u8();
      if (type === RECORD_MESSAGES.segment) {
        const bytes = await reader.read(16);
        segment = { name: segmentFileName(u64(bytes, 0, url)), salt: bytes.readBigUInt64LE(8) };
      } else if (type === RECORD_MESSAGES.record) {
        const head = await reader.read(16);
        const seq = u64(head, 0, url);
        const offset = u64(head, 8, url);
        if (!segment) throw protocolError(url, 'a record before its segment');
        if (seq <= lastSeq) throw protocolError(url, `record ${seq} out of order (after ${lastSeq}, from ${fromSeq})`);
        if (offset < SEGMENT_HEADER_BYTES) throw protocolError(url, `record offset ${offset}`);
        const frameHead = await reader.read(FRAME_HEADER_BYTES);
        const decoded = decodeFrameHeader(frameHead, 0);
        if (decoded.kind !== 'header') throw this.badFrame(segment.name, offset, seq, decoded.reason);
        const frame = Buffer.concat([frameHead, await reader.read(decoded.frameBytes - FRAME_HEADER_BYTES)], decoded.frameBytes);
        const checked = decodeFrame(frame, 0, segment.salt);
        if (checked.kind !== 'frame') throw this.badFrame(segment.name, offset, seq, checked.reason);
        lastSeq = seq;
        yield { seq, segment: segment.name, offset, tag: checked.header.tag, payload: checked.payload, frame, salt: segment.salt };
      } else if (type === RECORD_MESSAGES.versionDelta && deltas) {
        if (!segment) throw protocolError(url, 'a record before its segment');
        const message = await readDeltaMessage(reader, (what) => protocolError(url, what));
        if (message.seq <= lastSeq) throw protocolError(url, `record ${message.seq} out of order (after ${lastSeq}, from ${fromSeq})`);
        if (message.offset < SEGMENT_HEADER_BYTES) throw protocolError(url, `record offset ${message.offset}`);
        const rebuilt = await rebuildDelta(message, segment, deltas.bases);
        if (rebuilt) this.deltaStats.expanded++;
        else this.deltaStats.refused++;
        const entry = rebuilt ?? (await this.wholeRecord(message.seq, deltas.signal));
        lastSeq = message.seq;
        yield entry;
      } else if (type === RECORD_MESSAGES.end) {
        const bytes = await reader.read(9);
        const nextSeq = u64(bytes, 0, url);
        if (!(await reader.atEnd())) throw protocolError(url, 'bytes after the end');
        return { nextSeq, reason: bytes[8]! };
      } else if (type === RECORD_MESSAGES.error) {
        throw await readErrorMessage(reader, url);
      } else {
        throw protocolError(url, `message type ${type}`);
      }
    }
  }

  /** The record at `seq` asked whole (`from=seq&limit=1`, no delta), verified as every record is. */
  private async wholeRecord(seq: number, signal: AbortSignal | undefined): Promise<LogEntry> {
    const res = await this.transport.request('GET', `${ROUTES.records}?from=${seq}&limit=1`, undefined, signal);
    try {
      const step = await this.recordStream(new MessageReader(res, this.url), seq).next();
      if (step.done || step.value.seq !== seq) throw protocolError(this.url, `record ${seq} came as a delta, and not whole when asked`);
      return step.value;
    } finally {
      release(res);
    }
  }

  private badFrame(segment: string, offset: number, seq: number, reason: string): CorruptionError {
    return new CorruptionError(`record ${seq} from ${this.url} (${segment} at offset ${offset}) fails its check: ${reason}`, { file: segment, offset, seq, reason, url: this.url });
  }

  /**
   * The chunks with these ids, in order (undefined: the log has none such), each checked against its id: a chunk
   * whose bytes do not hash to it is a CorruptionError (reason chunk-hash-mismatch), never returned.
   */
  async fetchChunks(ids: readonly ContentIdBytes[], signal?: AbortSignal): Promise<(Uint8Array | undefined)[]> {
    const records = await this.fetchChunkRecords(ids, signal);
    return records.map((record, i) => record && this.checkChunk(record, ids[i]!));
  }

  /**
   * The chunk records with these ids as the log stores them (undefined: the log has none such), not yet checked:
   * the caller checks each against its id (checkChunk, or checkFetchedChunk on a content-writer thread) before any
   * byte of it is used.
   */
  fetchChunkRecords(ids: readonly ContentIdBytes[], signal?: AbortSignal): Promise<(FetchedChunkRecord | undefined)[]> {
    if (ids.length === 0) return Promise.resolve([]);
    if (ids.length > NET_LIMITS.chunkIdsPerRequestMax) throw new UsageError(`at most ${NET_LIMITS.chunkIdsPerRequestMax} chunks per fetch`, {});
    const body = new Uint8Array(ids.length * CONTENT_ID_BYTES);
    ids.forEach((id, i) => body.set(id, i * CONTENT_ID_BYTES));
    return this.retrying(signal, async () => {
      const res = await this.transport.request('POST', ROUTES.chunks, body, signal);
      try {
        return await this.chunkStream(new MessageReader(res, this.url), ids);
      } finally {
        release(res);
      }
    });
  }

  private async chunkStream(reader: MessageReader, ids: readonly ContentIdBytes[]): Promise<(FetchedChunkRecord | undefined)[]> {
    const url = this.url;
    if (!(await reader.read(CHUNK_STREAM_MAGIC.length)).equals(CHUNK_STREAM_MAGIC)) throw protocolError(url, 'not a chunk stream');
    const out: (FetchedChunkRecord | undefined)[] = [];
    for (let i = 0; i < ids.length; i++) {
      const type = await reader.u8();
      if (type === CHUNK_MESSAGES.missing) {
        out.push(undefined);
        continue;
      }
      if (type === CHUNK_MESSAGES.error) throw await readErrorMessage(reader, url);
      if (type !== CHUNK_MESSAGES.found) throw protocolError(url, `chunk message type ${type}`);
      const head = await reader.read(5);
      const size = head.readUInt32LE(1);
      if (size > LIMITS.recordBytesMax) throw protocolError(url, `a chunk record of ${size} bytes`);
      // A buffer of its own (not a view into the socket's): it may travel to a content-writer thread.
      out.push({ tag: head[0]!, payload: await reader.readOwned(size) });
      this.stats.chunksFetched++;
      this.stats.chunkBytesFetched += size;
    }
    if ((await reader.u8()) !== CHUNK_MESSAGES.end) throw protocolError(url, 'a chunk stream without its end');
    if (!(await reader.atEnd())) throw protocolError(url, 'bytes after the end');
    return out;
  }

  /**
   * A fetched record as the log stores it: decoded, inflated, size and BLAKE3 checked against the id asked for (the
   * store's own check), so a wrong byte is a CorruptionError, never content.
   */
  checkChunk(record: FetchedChunkRecord, id: ContentIdBytes): Uint8Array {
    const data = checkFetchedChunk(record.tag, record.payload, id, this.url);
    this.stats.chunkBytesInflated += data.length;
    return data;
  }

  /** Runs `attempt` until it succeeds or fails for good, pausing (backoff) while the server is away. */
  private retrying<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    return retrying(attempt, classifyHttpError, this.options, signal);
  }

  close(): void {
    this.transport.close();
  }
}
