// StreamLog: a log published to a JetStream stream (docs/jetstream.md), read with the same `read()` contract as a
// local Log and RemoteLog (records in seq order from `fromSeq`, optionally following, ended by an AbortSignal), plus
// chunk fetches by id. Owns the reading half of the mapping: it checks every message (mapping version, log id,
// stream sequence = seq + 1, frame checksum with the segment's salt) and every fetched chunk's BLAKE3 hash against
// its id, tells a follower the stream no longer holds records it needs (limits dropped them), and retries with
// backoff while the servers are away, resuming after the last record it checked.
// Never yields a byte it has not checked, nor a record out of order.
import { AckPolicy, DeliverPolicy, Empty, nanos, type JsMsg, type StoredMsg, type StreamInfo } from 'nats';
import { CorruptionError, LimitError, NetError, NotFoundError, UsageError } from '../errors.js';
import { checkFromSeq, initChecksum, type LogEntry, type ReadOptions } from '../log/index.js';
import { RECORD_TAGS, type ContentIdBytes } from '../record/index.js';
import { checkChunkPayload, contentIdHex, readyCodecs } from '../store/index.js';
import { JETSTREAM_LIMITS, LIMITS, NET_LIMITS } from '../util/limits.js';
import { Backoff, Outage, sleep } from '../net/index.js';
import { connectJetStream, isPassing, netErrorOf, retryingNats, type JetStreamConnection, type JetStreamConnectOptions } from './connection.js';
import { checkStreamName, chunkSubject, entryFromMessage, streamEntryFromMessage, filterSubjectFor, parseStreamDescription, streamSeqOf, streamSubjects, type ReceivedMessage } from './mapping.js';

/** Times a chunk the stream must hold is asked for again before it is said to be missing (about 10 s in all). */
const MISSING_CHUNK_ATTEMPTS = 6;

/** JetStream's "stream not found" and "no message found" API error codes. */
export const JS_API_ERRORS = { streamNotFound: 10059, noMessage: 10037, consumerNotFound: 10014 } as const;

/** What the stream holds now, in log seqs. */
export interface StreamLogInfo {
  logId: string;
  /** The first record the stream still holds (its limits may have dropped the ones before). */
  firstSeq: number;
  /** One past the last record published: how far a follower may read. */
  durableSeq: number;
  nextSeq: number;
}

export interface StreamLogStats {
  chunksFetched: number;
  chunkBytesFetched: number;
  chunkBytesInflated: number;
  /** Of chunksFetched, those a direct get brought (any replica); the rest came from the leader. */
  chunksDirect: number;
  /** Direct gets that failed other than "no such message" (the leader was asked instead). */
  directGetFailures: number;
}

/** A direct get's reply header naming the message's stream seq, and the status of "no such message". */
const DIRECT_SEQ_HEADER = 'Nats-Sequence';
const NO_MESSAGE_STATUS = 404;

function received(message: JsMsg | StoredMsg): ReceivedMessage {
  const headers = 'headers' in message ? message.headers : message.header;
  return { streamSeq: message.seq, header: (name) => headers?.get(name) || undefined, body: message.data };
}

function apiCodeOf(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: number } } | undefined)?.api_error;
  return api?.err_code;
}

/** The error a follower gets when the stream no longer holds the records it needs (docs/jetstream.md "Limits"). */
export function truncatedError(where: string, neededSeq: number, firstSeq: number): NetError {
  return new NetError(`${where} no longer holds records ${neededSeq}-${firstSeq - 1} (the stream's limits dropped them; it starts at seq ${firstSeq}): rebuild this copy from a replica or the source log`, {
    url: where,
    reason: 'stream-truncated',
    neededSeq,
    firstSeq,
    fix: 'rebuild it from a full copy: `synclog receive --from http://… --out NEW` from a `serve` of the source log or of a replica (or `replicate --from http://… --log NEW`), then follow the stream from there; give the stream larger limits (max_msgs, max_bytes, max_age) or none',
  });
}

/** Messages a consumer sent that never arrived; the read makes a new consumer from where it stands. */
class DeliveryGap extends Error {
  constructor(expected: number, got: number) {
    super(`consumer delivered message ${got} where ${expected} was next`);
  }
}

function shaped(entry: LogEntry, withFrames: boolean): LogEntry {
  const { seq, segment, offset, tag, payload } = entry;
  return withFrames ? entry : { seq, segment, offset, tag, payload };
}

/**
 * The frames of an atomic group seen so far, held back until the group is whole (docs/format.md: a reader must not
 * yield a frame of a group before its last): a publisher killed in the middle of a group leaves part of it in the
 * stream, and no reader may act on that part. Bounded: a group lies in one segment.
 */
class HeldGroup {
  private entries: LogEntry[] = [];
  private bytes = 0;
  private lastSeq = -1;

  get waiting(): boolean {
    return this.entries.length > 0;
  }

  /** What may be yielded now that `entry` arrived (its group's last seq, if it is in one). */
  take(entry: LogEntry, groupLastSeq: number | undefined): LogEntry[] {
    const out: LogEntry[] = [];
    // Past the group's end (its last frame is one a filtered read does not see): the group is whole.
    if (this.waiting && entry.seq > this.lastSeq) out.push(...this.drain());
    if (groupLastSeq === undefined || groupLastSeq === entry.seq) {
      if (this.waiting) out.push(...this.drain());
      out.push(entry);
      return out;
    }
    this.lastSeq = groupLastSeq;
    this.entries.push(entry);
    this.bytes += entry.payload.length;
    if (this.bytes > LIMITS.segmentBytesDefault * 4) throw new LimitError(`an atomic group from seq ${this.entries[0]!.seq} holds more than ${LIMITS.segmentBytesDefault * 4} bytes`, { limit: 'groupBytesMax', value: this.bytes, max: LIMITS.segmentBytesDefault * 4 });
    return out;
  }

  /** The held group, if the stream holds its last frame (`durableSeq`: one past the stream's last record). */
  releaseIfComplete(durableSeq: number): LogEntry[] {
    return this.waiting && durableSeq > this.lastSeq ? this.drain() : [];
  }

  private drain(): LogEntry[] {
    const out = this.entries;
    this.entries = [];
    this.bytes = 0;
    return out;
  }
}

export class StreamLog {
  readonly stats: StreamLogStats = { chunksFetched: 0, chunkBytesFetched: 0, chunkBytesInflated: 0, chunksDirect: 0, directGetFailures: 0 };
  /** Whether the stream had limits that drop messages when last asked (each info() asks; a follower every pull). */
  private limited = true;
  /**
   * Whether the stream allows direct gets (allow_direct: streams a synclog publisher makes do): a chunk is then read
   * from any replica as raw bytes, instead of from the leader as base64 inside JSON (a third of the bytes more, and a
   * JSON parse of each 64 KiB chunk).
   */
  private direct: boolean;
  private infoAtMs = 0;
  /**
   * Pulls under way. A pull left running when the connection closes (its read abandoned by the caller at a yield,
   * never returned) keeps its heartbeat monitor, which then prints "aborting resetPending - connection is closed"
   * from inside the client: close() stops them first.
   */
  private readonly liveBatches = new Set<{ stop(): void }>();

  private constructor(
    private readonly connection: JetStreamConnection,
    readonly stream: string,
    readonly logId: string,
    private readonly options: JetStreamConnectOptions,
    info: StreamInfo,
  ) {
    this.direct = info.config.allow_direct === true;
  }

  /** Connects and learns which log the stream holds (its description); every message read must be of that log. */
  static async open(servers: string, stream: string, options: JetStreamConnectOptions = {}, signal?: AbortSignal): Promise<StreamLog> {
    checkStreamName(stream);
    await Promise.all([initChecksum(), readyCodecs()]);
    const connection = await connectJetStream(servers, options, signal);
    try {
      const info = await streamInfo(connection, stream, options, signal);
      const described = parseStreamDescription(info.config.description);
      if (!described || !info.config.subjects?.includes(streamSubjects(stream))) {
        throw new UsageError(`stream ${stream} at ${connection.display} is not a synclog stream`, { fix: 'give the --stream a synclog publisher made (synclog replicate --log DIR --to nats://…)' });
      }
      return new StreamLog(connection, stream, described.logId, options, info);
    } catch (error) {
      await connection.nc.close();
      throw error;
    }
  }

  /** `nats://host:port stream S`, for messages. */
  get url(): string {
    return `${this.connection.display} stream ${this.stream}`;
  }

  async info(signal?: AbortSignal): Promise<StreamLogInfo> {
    const info = await streamInfo(this.connection, this.stream, this.options, signal);
    this.limited = hasLimits(info);
    this.direct = info.config.allow_direct === true;
    this.infoAtMs = Date.now();
    return { logId: this.logId, firstSeq: Math.max(0, info.state.first_seq - 1), durableSeq: info.state.last_seq, nextSeq: info.state.last_seq };
  }

  /** Records in seq order from `fromSeq` (the contract of Log.read; `lendTags` is ignored: payloads are copies). */
  async *read(options: ReadOptions = {}): AsyncIterableIterator<LogEntry> {
    const fromSeq = options.fromSeq ?? 0;
    checkFromSeq(fromSeq);
    if (options.tags?.length === 0) return;
    const wanted = options.tags ? new Set(options.tags) : undefined;
    const follow = options.follow === true;
    const signal = options.signal;
    const outage = new Outage(this.options);
    let next = fromSeq;
    const filterSubject = filterSubjectFor(this.stream, options.tags);
    // A catch-up read ends at the stream's end as of its first ask. A consumer's pending count cannot say so alone: it
    // counts what its own server holds, and JetStream places a reader's consumer (R1) on any replica of the stream,
    // one still catching up after a node restart included (seen: 3000 pending where the stream held 6000), so a read
    // trusting it stops short of records the stream holds. So the read ends once it has received up to that end, or
    // (a filtered read, which never sees the other subjects' messages) once the stream's leader, which answers
    // message gets, says none of its subject lies between what it received and that end.
    let endSeq: number | undefined;
    // `received`: one past the last message taken (frames of a group still held back count: the stream holds them).
    const reachedEnd = async (received: number): Promise<boolean> => {
      const end = endSeq ?? 0;
      if (received >= end) return true;
      if (wanted === undefined) return false;
      const nextOnSubject = await this.getMessage({ seq: streamSeqOf(received), next_by_subj: filterSubject }, signal);
      return nextOnSubject === undefined || nextOnSubject.seq > streamSeqOf(end - 1);
    };
    for (;;) {
      if (signal?.aborted) return;
      // A group not yet whole when a pull failed is read again from its first frame.
      const held = new HeldGroup();
      let receivedSeq = next;
      // The consumer numbers what it sends 1, 2, 3…: a gap is messages sent but lost on the way (the node this client
      // was connected through died), which AckPolicy.None never redelivers.
      let deliveredCount = 0;
      let consumerName: string | undefined;
      try {
        const info = await this.info(signal);
        // Limits dropped records this reader has not read yet: say so, never skip them silently.
        if (next < info.durableSeq && next < info.firstSeq) throw truncatedError(this.url, next, info.firstSeq);
        endSeq ??= info.durableSeq;
        if (!follow && next >= info.durableSeq) return;
        const created = await this.connection.jsm.consumers.add(this.stream, {
          ack_policy: AckPolicy.None,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: streamSeqOf(next),
          filter_subject: filterSubject,
          inactive_threshold: nanos(JETSTREAM_LIMITS.consumerInactiveMs),
          mem_storage: true,
          num_replicas: 1,
        });
        consumerName = created.name;
        if (!follow && created.num_pending === 0 && (await reachedEnd(receivedSeq))) return;
        const consumer = await this.connection.js.consumers.get(this.stream, consumerName);
        for (;;) {
          const batch = await consumer.fetch({ max_messages: JETSTREAM_LIMITS.fetchBatchCount, expires: follow ? JETSTREAM_LIMITS.followWaitMs : JETSTREAM_LIMITS.catchUpWaitMs });
          const stop = () => batch.stop();
          signal?.addEventListener('abort', stop, { once: true });
          this.liveBatches.add(batch);
          let last = false;
          try {
            for await (const message of batch) {
              if (message.info.deliverySequence !== deliveredCount + 1) throw new DeliveryGap(deliveredCount + 1, message.info.deliverySequence);
              deliveredCount = message.info.deliverySequence;
              const { entry, groupLastSeq } = streamEntryFromMessage(received(message), this.logId, this.url);
              // A consumer may start before the seq it was asked for: on a replica whose store ends before it, the
              // server starts it at that replica's end (nats-server 2.9 selectStartingSeqNo), and it sends again
              // messages this read has already taken. They were checked then; skipped now, never yielded twice.
              if (entry.seq < receivedSeq) continue;
              // An unfiltered read (a replica's) must see every seq: a gap is records the limits dropped meanwhile.
              if (wanted === undefined && entry.seq !== receivedSeq) throw truncatedError(this.url, receivedSeq, entry.seq);
              // A filtered follower far behind: the consumer, left before the stream's new first message, went past
              // the dropped ones without a word. The limits drop oldest first, so a stream that still holds
              // `receivedSeq` held every message between it and this one.
              // A filtered read skips other subjects' messages, so a gap is normal there; it is checked against the
              // stream's first seq now, after the message that closes it (a stream without limits drops nothing).
              if (entry.seq > receivedSeq && this.limited) {
                const now = await this.info(signal);
                if (now.firstSeq > receivedSeq) throw truncatedError(this.url, receivedSeq, now.firstSeq);
              }
              receivedSeq = entry.seq + 1;
              outage.over();
              for (const ready of held.take(entry, groupLastSeq)) {
                if (wanted === undefined || wanted.has(ready.tag)) yield shaped(ready, options.withFrames === true);
                next = ready.seq + 1;
              }
              last = !follow && message.info.pending === 0 && (await reachedEnd(receivedSeq));
              if (signal?.aborted || last) break;
            }
          } finally {
            signal?.removeEventListener('abort', stop);
            this.liveBatches.delete(batch);
          }
          // An atomic group is released once the stream holds its last frame (a filtered read may not see that frame).
          if (held.waiting && !signal?.aborted) {
            for (const ready of held.releaseIfComplete((await this.info(signal)).durableSeq)) {
              if (wanted === undefined || wanted.has(ready.tag)) yield shaped(ready, options.withFrames === true);
              next = ready.seq + 1;
            }
          }
          if (signal?.aborted || last) return;
          // Limits set on the stream while this reader follows it: learnt within a pull's wait.
          if (Date.now() - this.infoAtMs >= JETSTREAM_LIMITS.followWaitMs) await this.info(signal);
          // A catch-up batch that ended before the stream's end (expired): ask the stream again where it ends.
          if (!follow) break;
        }
      } catch (raw) {
        if (signal?.aborted) return;
        // Messages lost in transit, not an outage: read again at once from the first record not yielded.
        if (raw instanceof DeliveryGap) continue;
        const error = netErrorOf(raw, this.url, 'read');
        // The consumer vanished (a restarted server drops in-memory consumers): make it again from `next`.
        if (!isPassing(error) && apiCodeOf(raw) !== JS_API_ERRORS.consumerNotFound) throw error;
        await outage.pause(error, signal);
      } finally {
        if (consumerName) this.connection.jsm.consumers.delete(this.stream, consumerName).catch(() => {});
      }
    }
  }

  /** The log's first record (a new log's params record), or undefined when the stream is empty or has dropped it. */
  async first(signal?: AbortSignal): Promise<LogEntry | undefined> {
    const message = await this.getMessage({ seq: 1 }, signal);
    return message ? entryFromMessage(received(message), this.logId, this.url) : undefined;
  }

  /**
   * The chunks with these ids, in order (undefined: the stream has none such), each checked: its message (as every
   * read), then its record decoded, inflated, sized and hashed against the id asked for. A chunk whose bytes do not
   * hash to its id is a CorruptionError (reason chunk-hash-mismatch), never returned.
   */
  async fetchChunks(ids: readonly ContentIdBytes[], signal?: AbortSignal): Promise<(Uint8Array | undefined)[]> {
    if (ids.length > NET_LIMITS.chunkIdsPerRequestMax) throw new UsageError(`at most ${NET_LIMITS.chunkIdsPerRequestMax} chunks per fetch`, {});
    return Promise.all(ids.map((id) => this.fetchChunk(id, signal)));
  }

  private async fetchChunk(id: ContentIdBytes, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const hex = contentIdHex(id);
    const direct = await this.directChunk(hex, signal);
    const message = direct ?? (await this.leaderChunk(hex, signal));
    if (!message) return undefined;
    const entry = entryFromMessage(message, this.logId, this.url);
    if (entry.tag !== RECORD_TAGS.chunk) throw new CorruptionError(`chunk ${hex} in ${this.url} is refused: its message holds a record of tag ${entry.tag}`, { file: this.url, chunk: hex, seq: entry.seq, reason: 'index-points-elsewhere' });
    let data: Uint8Array;
    try {
      data = checkChunkPayload(entry.tag, entry.payload, id, { segment: entry.segment, offset: entry.offset, size: 0, seq: entry.seq });
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      throw new CorruptionError(`chunk ${hex} in ${this.url} (record ${entry.seq}) is refused: ${error.where.reason}`, { file: this.url, chunk: hex, seq: entry.seq, reason: error.where.reason }, { cause: error });
    }
    this.stats.chunksFetched++;
    if (direct) this.stats.chunksDirect++;
    this.stats.chunkBytesFetched += entry.payload.length;
    this.stats.chunkBytesInflated += data.length;
    return data;
  }

  /**
   * The chunk's message by a direct get, answered by any replica; undefined when the stream does not allow them, or
   * that replica has no such message (it may lag behind the leader: the leader is asked then), or the get failed
   * (the leader's path retries and reports). What it returns is checked as any message is.
   */
  private async directChunk(hex: string, signal?: AbortSignal): Promise<ReceivedMessage | undefined> {
    if (!this.direct || signal?.aborted) return undefined;
    try {
      // JetStream's direct get (server 2.9+): the reply is the stored message itself, its stream seq in a header;
      // "no message" is an empty reply with a status code.
      const reply = await this.connection.nc.request(`$JS.API.DIRECT.GET.${this.stream}.${chunkSubject(this.stream, hex)}`, Empty, { timeout: JETSTREAM_LIMITS.directGetTimeoutMs });
      const headers = reply.headers;
      const seq = headers?.get(DIRECT_SEQ_HEADER);
      if (!headers || reply.data.length === 0 || !seq) {
        if (headers?.code !== NO_MESSAGE_STATUS) this.stats.directGetFailures++;
        return undefined;
      }
      return { streamSeq: Number(seq), header: (name) => headers.get(name) || undefined, body: reply.data };
    } catch {
      this.stats.directGetFailures++;
      return undefined;
    }
  }

  /** The chunk's message from the stream leader (JetStream's message-get API), asked again while it may lag. */
  private async leaderChunk(hex: string, signal?: AbortSignal): Promise<ReceivedMessage | undefined> {
    const found = await this.missingChunkAgain(hex, await this.getMessage({ last_by_subj: chunkSubject(this.stream, hex) }, signal), signal);
    return found && received(found);
  }

  /**
   * A chunk is asked for because a record read from the stream refers to it, and a log holds a chunk before any
   * record that refers to it: a stream that still holds its whole log (first seq 0) must have it. "No message" then
   * is a stream leader answering from a state not yet caught up (seen right after a node of an R3 stream was killed
   * and restarted), so it is asked again a few times (backoff) before the chunk is said to be missing.
   */
  private async missingChunkAgain(hex: string, found: StoredMsg | undefined, signal?: AbortSignal): Promise<StoredMsg | undefined> {
    const backoff = new Backoff();
    for (let attempt = 0; found === undefined && attempt < MISSING_CHUNK_ATTEMPTS && !signal?.aborted; attempt++) {
      if ((await this.info(signal)).firstSeq > 0) return undefined;
      await sleep(backoff.next(), signal);
      found = await this.getMessage({ last_by_subj: chunkSubject(this.stream, hex) }, signal);
    }
    return found;
  }

  /** A message by stream sequence, the last on a subject, or the first on a subject from a stream sequence on. */
  private getMessage(query: { seq: number } | { last_by_subj: string } | { seq: number; next_by_subj: string }, signal?: AbortSignal): Promise<StoredMsg | undefined> {
    return retryingNats(this.url, 'get message', this.options, signal, async () => {
      try {
        return await this.connection.jsm.streams.getMessage(this.stream, query);
      } catch (error) {
        if (apiCodeOf(error) === JS_API_ERRORS.noMessage) return undefined;
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    for (const batch of this.liveBatches) batch.stop();
    this.liveBatches.clear();
    await this.connection.nc.close();
  }
}

/** True when the stream's limits may drop messages (max messages, bytes or age, in all or per subject). */
function hasLimits(info: StreamInfo): boolean {
  const { max_msgs, max_bytes, max_age, max_msgs_per_subject } = info.config;
  return (max_msgs ?? -1) > 0 || (max_bytes ?? -1) > 0 || (max_age ?? 0) > 0 || (max_msgs_per_subject ?? -1) > 0;
}

/** The stream's info (retrying while the servers are away); a missing stream is a NotFoundError. */
export async function streamInfo(connection: JetStreamConnection, stream: string, options: JetStreamConnectOptions, signal?: AbortSignal): Promise<StreamInfo> {
  return retryingNats(connection.display, `read stream ${stream}`, options, signal, async () => {
    try {
      return await connection.jsm.streams.info(stream);
    } catch (error) {
      if (apiCodeOf(error) === JS_API_ERRORS.streamNotFound) throw new NotFoundError(`no stream ${stream} at ${connection.display}`, { what: 'stream', id: stream });
      throw error;
    }
  });
}
