// `synclog replicate --log DIR --to nats://…`: publishes a local log's records, in order, to a JetStream stream
// (docs/jetstream.md), following the log until stopped. Owns creating the stream (named after nothing but the user's
// --stream; its description names the log), finding where a run resumes (the stream's last message, checked: it must
// be this log's record seq = its stream sequence − 1), and publishing each record exactly once: every publish
// carries Nats-Msg-Id `<log id>/<seq>` (JetStream drops a repeat inside its duplicate window) and the stream sequence
// it expects to follow (`Nats-Expected-Last-Sequence`: the stream refuses it otherwise, whatever the window), so a
// killed or restarted publisher can neither duplicate nor skip a record.
// Never writes to the local log (it is opened read-only; a watcher may be writing it), never publishes a record the
// log's reader has not verified, nor an atomic group before the reader has all of it.
import { headers as natsHeaders, nanos, DiscardPolicy, RetentionPolicy, StorageType, type PubAck } from 'nats';
import { LimitError, NotFoundError, UsageError } from '../errors.js';
import { FRAME_FLAGS, FRAME_OFFSET, initChecksum, Log, readLogId, type LogEntry } from '../log/index.js';
import { decodeRecord, RECORD_TAGS } from '../record/index.js';
import { contentIdHex } from '../store/index.js';
import { JETSTREAM_LIMITS, LIMITS } from '../util/limits.js';
import { nextOrIdle, Outage } from '../net/index.js';
import { connectJetStream, isPassing, netErrorOf, type JetStreamConnection, type JetStreamConnectOptions } from './connection.js';
import { checkStreamName, streamEntryFromMessage, headersFor, messageIdFor, parseStreamDescription, streamDescription, streamSubjects, subjectFor } from './mapping.js';
import { streamInfo } from './stream-log.js';

export interface PublishOptions extends JetStreamConnectOptions {
  logDir: string;
  /** nats://HOST:PORT[,nats://…] */
  servers: string;
  stream: string;
  /** Replicas of a stream this run creates (1, or 3 on a cluster: R3). An existing stream keeps its own. */
  replicas?: number;
  /** Bytes a stream this run creates keeps at most (oldest dropped first; followers behind are told). */
  streamBytesMax?: number;
  /** Keep following the log until `signal` aborts (default: stop once everything durable is published). */
  follow?: boolean;
  signal?: AbortSignal;
  /** Told each time the stream holds every record the log had (and, following, after each later batch). */
  onCaughtUp?: (state: PublishState) => void;
}

export interface PublishState {
  /** Records the stream holds (one past its last seq). */
  streamSeq: number;
  /** Records this run published. */
  published: number;
  /** Publishes JetStream answered as duplicates (already stored; nothing added). */
  duplicates: number;
}

/** JetStream's "wrong last sequence" API error: the stream moved under this run (a restart, or another writer). */
const WRONG_LAST_SEQUENCE = 10071;

/** Publishes until caught up (or, following, until `signal` aborts); resolves once every publish is acknowledged. */
export async function publishLog(options: PublishOptions): Promise<PublishState> {
  checkStreamName(options.stream);
  if (options.replicas !== undefined && (!Number.isInteger(options.replicas) || options.replicas < 1 || options.replicas > 5)) {
    throw new UsageError(`--replicas ${options.replicas} is not 1 to 5`, { fix: 'use 1 on a single server, 3 on a 3-node cluster' });
  }
  await initChecksum();
  const logId = await readLogId(options.logDir).catch(() => undefined);
  if (logId === undefined) throw new NotFoundError(`${options.logDir} is not a synclog log with a segment yet`, { what: 'log', id: options.logDir });
  const log = await Log.open(options.logDir, { readOnly: true });
  try {
    const connection = await connectJetStream(options.servers, options, options.signal);
    try {
      return await new Publication(log, logId, connection, options).run();
    } finally {
      await connection.nc.close();
    }
  } finally {
    await log.close();
  }
}

class Publication {
  private readonly state: PublishState = { streamSeq: 0, published: 0, duplicates: 0 };
  private inFlight: { seq: number; ack: Promise<PubAck>; bytes: number }[] = [];
  private inFlightBytes = 0;
  /** Following: a catch-up not yet told (the first one, and one after each batch published). */
  private unreported = true;
  private readonly where: string;

  constructor(
    private readonly log: Log,
    private readonly logId: string,
    private readonly connection: JetStreamConnection,
    private readonly options: PublishOptions,
  ) {
    this.where = `${connection.display} stream ${options.stream}`;
  }

  async run(): Promise<PublishState> {
    const { signal } = this.options;
    const outage = new Outage(this.options);
    for (;;) {
      try {
        const resume = await this.resumePoint();
        this.state.streamSeq = resume.seq;
        await this.publishFrom(resume, () => outage.over());
        return this.state;
      } catch (raw) {
        await this.abandonInFlight();
        if (signal?.aborted) return this.state;
        const error = netErrorOf(raw, this.where, 'publish');
        // The stream moved under us (acks lost in a restart, or another writer): find where it is and go on from
        // there; resumePoint refuses a stream whose last message is not this log's.
        const moved = (error.cause as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === WRONG_LAST_SEQUENCE;
        if (!moved && !isPassing(error)) throw error;
        if (!moved) await outage.pause(error, signal);
      }
    }
  }

  /**
   * Creates the stream if missing; returns the seq to publish next (checked against the stream's last message) and,
   * when a killed run left an atomic group half published, the seq of that group's last frame (the rest of the
   * group is published under it, so readers release the group once whole).
   */
  private async resumePoint(): Promise<{ seq: number; groupLastSeq?: number }> {
    const { stream, signal } = this.options;
    let info = await streamInfo(this.connection, stream, this.options, signal).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!info) {
      info = await this.connection.jsm.streams.add({
        name: stream,
        subjects: [streamSubjects(stream)],
        description: streamDescription(this.logId),
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        num_replicas: this.options.replicas ?? 1,
        duplicate_window: nanos(JETSTREAM_LIMITS.duplicateWindowMs),
        // Followers read chunks from any replica as raw bytes (StreamLog's direct gets).
        allow_direct: true,
        ...(this.options.streamBytesMax !== undefined ? { max_bytes: this.options.streamBytesMax } : {}),
      });
    }
    const described = parseStreamDescription(info.config.description);
    if (!described) throw new UsageError(`stream ${stream} at ${this.connection.display} is not a synclog stream`, { fix: 'give --stream a new name' });
    if (described.logId !== this.logId) {
      throw new UsageError(`stream ${stream} at ${this.connection.display} holds log ${described.logId}, not ${this.logId} (${this.options.logDir})`, { fix: 'publish this log to another --stream' });
    }
    const lastStreamSeq = info.state.last_seq;
    if (lastStreamSeq === 0) return { seq: 0 };
    // The last message says where this log stands in the stream; entryFromMessage refuses one that is not this log's
    // record seq = stream sequence − 1 (a message someone else published there).
    const message = await this.connection.jsm.streams.getMessage(stream, { seq: lastStreamSeq });
    const { entry, groupLastSeq } = streamEntryFromMessage({ streamSeq: message.seq, header: (name) => message.header.get(name) || undefined, body: message.data }, this.logId, this.where);
    await this.checkSameRecord(entry);
    return groupLastSeq !== undefined && groupLastSeq > entry.seq ? { seq: entry.seq + 1, groupLastSeq } : { seq: entry.seq + 1 };
  }

  /**
   * The stream's last message must be this log's own record, byte for byte: a message someone else published
   * there with this log's headers (or a stream ahead of the log) stops the publisher instead of being built upon.
   */
  private async checkSameRecord(inStream: LogEntry): Promise<void> {
    let local: LogEntry | undefined;
    for await (const entry of this.log.read({ fromSeq: inStream.seq, withFrames: true })) {
      local = entry;
      break;
    }
    const same = local !== undefined && local.seq === inStream.seq && Buffer.from(local.frame!).equals(Buffer.from(inStream.frame!));
    if (!same) {
      throw new UsageError(`${this.where} holds, at seq ${inStream.seq}, ${local ? 'a record that differs from' : 'a record beyond the end of'} ${this.options.logDir}: not published from this log`, {
        fix: 'inspect the stream (nats stream view); publish this log to a new --stream',
      });
    }
  }

  private async publishFrom(from: { seq: number; groupLastSeq?: number }, onProgress: () => void): Promise<void> {
    const { follow, signal } = this.options;
    const records = this.log.read({ fromSeq: from.seq, withFrames: true, follow, signal })[Symbol.asyncIterator]();
    let expected = from.seq;
    for (;;) {
      // When none is ready within a turn of the event loop (following), acks are awaited and reported.
      const step = await nextOrIdle(records, follow, async () => {
        if (!this.unreported) return;
        await this.settle();
        this.unreported = false;
        this.options.onCaughtUp?.({ ...this.state });
      });
      if (step.done) break;
      const entry = step.value;
      if (entry.seq !== expected) throw new UsageError(`${this.options.logDir} yielded record ${entry.seq} where ${expected} was next (the stream is ahead of this log?)`, {});
      const flags = entry.frame![FRAME_OFFSET.flags]!;
      if (from.groupLastSeq !== undefined && entry.seq <= from.groupLastSeq) {
        // The rest of a group a killed run began: its frames, under the group end the stream already names.
        if (flags !== FRAME_FLAGS.middle && flags !== FRAME_FLAGS.last) throw new UsageError(`record ${entry.seq} of ${this.options.logDir} is not in the group the stream names (to seq ${from.groupLastSeq})`, {});
        await this.publish(entry, from.groupLastSeq);
        expected++;
      } else if (flags === FRAME_FLAGS.full) {
        await this.publish(entry, undefined);
        expected++;
      } else {
        expected = await this.publishGroup(entry, records);
      }
      onProgress();
    }
    await this.settle();
    if (!follow) this.options.onCaughtUp?.({ ...this.state });
  }

  /** An atomic group: gathered whole (the log's reader yields it only once all of it is durable), then published. */
  private async publishGroup(first: LogEntry, records: AsyncIterator<LogEntry>): Promise<number> {
    const group = [first];
    let bytes = first.frame!.length;
    for (;;) {
      const step = await records.next();
      if (step.done) throw new UsageError(`${this.options.logDir} ended inside an atomic group (from seq ${first.seq})`, {});
      group.push(step.value);
      bytes += step.value.frame!.length;
      if (bytes > LIMITS.segmentBytesDefault * 4) throw new LimitError(`an atomic group from seq ${first.seq} holds more than ${LIMITS.segmentBytesDefault * 4} bytes`, { limit: 'groupBytesMax', value: bytes, max: LIMITS.segmentBytesDefault * 4 });
      if (step.value.frame![FRAME_OFFSET.flags] === FRAME_FLAGS.last) break;
    }
    const lastSeq = group.at(-1)!.seq;
    for (const entry of group) await this.publish(entry, lastSeq);
    return lastSeq + 1;
  }


  private async publish(entry: LogEntry, groupLastSeq: number | undefined): Promise<void> {
    const { stream } = this.options;
    const frame = entry.frame!;
    const maxPayload = this.connection.nc.info?.max_payload ?? 1024 * 1024;
    if (frame.length + 2048 > maxPayload) {
      throw new LimitError(`record ${entry.seq} (${frame.length} bytes) is larger than the NATS server's max_payload (${maxPayload} bytes)`, { limit: 'max_payload', value: frame.length, max: maxPayload, fix: 'raise max_payload in the nats-server configuration (up to 64 MB)' });
    }
    const chunkIdHex = entry.tag === RECORD_TAGS.chunk ? chunkIdOf(entry) : undefined;
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(headersFor(this.logId, entry, groupLastSeq))) headers.set(name, value);
    const ack = this.connection.js.publish(subjectFor(stream, entry.tag, chunkIdHex), frame, {
      msgID: messageIdFor(this.logId, entry.seq),
      expect: { lastSequence: entry.seq, streamName: stream },
      headers,
    });
    ack.catch(() => {}); // awaited in settle()
    this.unreported = true;
    this.inFlight.push({ seq: entry.seq, ack, bytes: frame.length });
    this.inFlightBytes += frame.length;
    while (this.inFlight.length >= JETSTREAM_LIMITS.publishInFlightMax || this.inFlightBytes >= JETSTREAM_LIMITS.publishInFlightBytesMax) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.inFlight[0]!;
    const ack = await oldest.ack;
    this.inFlight.shift();
    this.inFlightBytes -= oldest.bytes;
    // A repeat of a message the stream holds (its ack was lost): the stream sequence must be the record's own.
    if (ack.seq !== oldest.seq + 1) throw new UsageError(`${this.where} stored record ${oldest.seq} at stream sequence ${ack.seq} (must be ${oldest.seq + 1})`, {});
    if (ack.duplicate) this.state.duplicates++;
    else this.state.published++;
    this.state.streamSeq = oldest.seq + 1;
  }

  private async settle(): Promise<void> {
    while (this.inFlight.length > 0) await this.settleOldest();
  }

  /** After a failure: wait for every publish in flight to end (stored or not) before the stream is asked again. */
  private async abandonInFlight(): Promise<void> {
    await Promise.allSettled(this.inFlight.map((f) => f.ack));
    this.inFlight = [];
    this.inFlightBytes = 0;
  }
}

/** A chunk record's id, for its subject (the record is decoded: the log reader verified its frame). */
function chunkIdOf(entry: LogEntry): string {
  const record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
  if (record.kind !== 'chunk') throw new UsageError(`record ${entry.seq} has the chunk tag but is no chunk`, {});
  return contentIdHex(record.id);
}
