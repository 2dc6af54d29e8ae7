// `synclog replicate`: a follower log holding exactly the records of a served log, in the same order and with the
// same seqs (a replica can itself be served: laptop → server → many readers). Owns: opening or creating the
// replica (its REPLICA marker names the source log; another log's replica, or a log that is no replica, is
// refused), checking each record before it is appended (its frame checksum, by RemoteLog; it decodes; a chunk's
// bytes hash to its id), keeping atomic groups atomic (a group is appended with appendAtomic, streamed, so its size
// does not bound memory), and bounding what waits for the local fsync.
// Never appends a record out of seq order, nor one it has not checked; never writes to a log it did not make.
import { CorruptionError, NetError, UsageError } from '../errors.js';
import { FORMAT_VERSION_RETENTION, FRAME_FLAGS, FRAME_OFFSET, Log, readReplicaMarker, REAL_LOG_FILE_SYSTEM, writeReplicaMarker, type AppendInput, type LogEntry, type ReadOptions } from '../log/index.js';
import { nextOrIdle } from './next-or-idle.js';
import { decodeRecord, RECORD_TAGS } from '../record/index.js';
import { checkChunkRecord, readyCodecs } from '../store/index.js';
import { RemoteLog, type RemoteLogOptions } from './remote-log.js';

export interface ReplicateOptions extends RemoteLogOptions {
  url: string;
  logDir: string;
  /** Keep following the source until `signal` aborts (default: stop once caught up). */
  follow?: boolean;
  signal?: AbortSignal;
  /** Told each time the replica has caught up with what the source had (and, following, after each later batch). */
  onCaughtUp?: (state: ReplicaState) => void;
}

export interface ReplicaState {
  /** Records in the replica (its next seq). */
  nextSeq: number;
  /** The source's durable seq when last asked. */
  sourceSeq: number;
  /** Records appended by this run. */
  appended: number;
}

/** What a replica reads: RemoteLog over HTTP, or another transport of the same checked records (src/jetstream). */
export interface ReplicationSource {
  readonly url: string;
  readonly logId: string;
  read(options: ReadOptions): AsyncIterable<LogEntry>;
  info(signal?: AbortSignal): Promise<{ durableSeq: number }>;
}

/** Appends in flight (waiting for the local fsync) at most, in records and bytes: the replica's memory bound. */
const PENDING_RECORDS_MAX = 1024;
const PENDING_BYTES_MAX = 16 * 1024 * 1024;

function flagsOf(entry: LogEntry): number {
  return entry.frame![FRAME_OFFSET.flags]!;
}

/** Checks a record before it is made durable: it decodes (paths and all), and a chunk's bytes hash to its id. */
function checkRecord(entry: LogEntry): AppendInput {
  const where = { file: entry.segment, offset: entry.offset, seq: entry.seq };
  const record = decodeRecord(entry.tag, entry.payload, where);
  if (record.kind === 'chunk') checkChunkRecord(record, record.id, { segment: entry.segment, offset: entry.offset, size: record.size, seq: entry.seq });
  return { tag: entry.tag, payload: entry.payload };
}

async function openReplica(logDir: string, remote: ReplicationSource): Promise<Log> {
  const log = await Log.open(logDir, { replica: true });
  try {
    const marker = await readReplicaMarker(logDir);
    if (marker && marker.sourceLogId !== remote.logId) {
      throw new UsageError(`${logDir} is a replica of another log (${marker.sourceLogId} at ${marker.sourceUrl}), not of ${remote.logId} at ${remote.url}`, { fix: 'replicate into another --log' });
    }
    if (!marker) {
      if (log.nextSeq !== 0) throw new UsageError(`${logDir} is a log of its own, not a replica`, { fix: 'replicate into a new or empty --log' });
      await writeReplicaMarker(logDir, { sourceLogId: remote.logId, sourceUrl: remote.url }, REAL_LOG_FILE_SYSTEM);
    }
    return log;
  } catch (error) {
    await log.close();
    throw error;
  }
}

/** Replicates until caught up (or, following, until `signal` aborts); resolves once every appended record is durable. */
export async function replicate(options: ReplicateOptions): Promise<ReplicaState> {
  // Checking a compressed chunk inflates it (synchronously, per record): the codecs must be loaded first.
  await readyCodecs();
  const remote = await RemoteLog.connect(options.url, options, options.signal);
  try {
    return await replicateFrom(remote, options);
  } finally {
    remote.close();
  }
}

/** replicate() from a source already connected (the caller closes it). */
export async function replicateFrom(remote: ReplicationSource, options: Pick<ReplicateOptions, 'logDir' | 'follow' | 'signal' | 'onCaughtUp'>): Promise<ReplicaState> {
  await readyCodecs();
  const log = await openReplica(options.logDir, remote);
  try {
    return await new Replication(log, remote, options).run();
  } finally {
    await log.close();
  }
}

class Replication {
  private pending: Promise<unknown>[] = [];
  private pendingBytes = 0;
  private appended = 0;
  /** Set once the replica writes version-3 segments (it has met a forget record or a placeholder). */
  private retentionFormat = false;
  private expectedSeq: number;

  constructor(
    private readonly log: Log,
    private readonly remote: ReplicationSource,
    private readonly options: Pick<ReplicateOptions, 'follow' | 'signal' | 'onCaughtUp'>,
  ) {
    this.expectedSeq = log.nextSeq;
  }

  async run(): Promise<ReplicaState> {
    const { signal } = this.options;
    const records = this.remote.read({ fromSeq: this.expectedSeq, withFrames: true, follow: this.options.follow, signal })[Symbol.asyncIterator]();
    let sourceSeq = (await this.remote.info(signal)).durableSeq;
    let reported = false;
    for (;;) {
      // Idle (the source has nothing more for now): what is appended is made durable and reported.
      const step = await nextOrIdle(records, this.options.follow, async () => {
        await this.settle();
        sourceSeq = Math.max(await this.sourceSeqNow(sourceSeq), this.expectedSeq);
        this.options.onCaughtUp?.(this.state(sourceSeq));
        reported = true;
      });
      if (step.done) break;
      reported = false;
      const entry = this.inOrder(step.value);
      const flags = flagsOf(entry);
      // Forget records and prune placeholders belong in version-3 segments only (docs/format.md "Retention"): the
      // replica rolls there before its first one, as the source did. (A group's later records are forget records only
      // if its first is: forget writes its records as one group.)
      if (!this.retentionFormat && (entry.tag === RECORD_TAGS.forget || entry.tag === RECORD_TAGS.pruned)) {
        await this.log.useFormatVersion(FORMAT_VERSION_RETENTION);
        this.retentionFormat = true;
      }
      if (flags === FRAME_FLAGS.full) await this.appendOne(entry);
      else if (flags === FRAME_FLAGS.first) await this.appendGroup(entry, records);
      else throw this.outOfGroup(entry);
    }
    await this.settle();
    const state = this.state(Math.max(sourceSeq, this.expectedSeq));
    if (!reported) this.options.onCaughtUp?.(state);
    return state;
  }

  /** The source's durable seq now; the last one known when the run is being stopped. */
  private async sourceSeqNow(known: number): Promise<number> {
    const { signal } = this.options;
    try {
      return (await this.remote.info(signal)).durableSeq;
    } catch (error) {
      if (signal?.aborted) return known;
      throw error;
    }
  }

  private state(sourceSeq: number): ReplicaState {
    return { nextSeq: this.expectedSeq, sourceSeq, appended: this.appended };
  }


  private inOrder(entry: LogEntry): LogEntry {
    if (entry.seq !== this.expectedSeq) {
      throw new NetError(`${this.remote.url} sent record ${entry.seq} where the replica expects ${this.expectedSeq}`, { url: this.remote.url, reason: 'protocol' });
    }
    this.expectedSeq++;
    return entry;
  }

  private outOfGroup(entry: LogEntry): CorruptionError {
    return new CorruptionError(`record ${entry.seq} from ${this.remote.url} has group flags ${flagsOf(entry)} outside a group`, { file: entry.segment, offset: entry.offset, seq: entry.seq, reason: 'group-flags' });
  }

  private async appendOne(entry: LogEntry): Promise<void> {
    const input = checkRecord(entry);
    const appending = this.log.append(input);
    appending.catch(() => {}); // awaited in settle()
    this.pending.push(appending);
    this.pendingBytes += entry.payload.length;
    this.appended++;
    if (this.pending.length >= PENDING_RECORDS_MAX || this.pendingBytes >= PENDING_BYTES_MAX) await this.settle();
  }

  /** An atomic group, streamed into appendAtomic: all of it becomes durable, or (the stream fails) none of it. */
  private async appendGroup(first: LogEntry, records: AsyncIterator<LogEntry>): Promise<void> {
    await this.settle();
    const self = this;
    let count = 0;
    async function* group(): AsyncGenerator<AppendInput> {
      yield checkRecord(first);
      count++;
      for (;;) {
        const step = await records.next();
        if (step.done) throw new NetError(`${self.remote.url} ended in the middle of an atomic group (from seq ${first.seq})`, { url: self.remote.url, reason: 'protocol' });
        const entry = self.inOrder(step.value);
        const flags = flagsOf(entry);
        if (flags !== FRAME_FLAGS.middle && flags !== FRAME_FLAGS.last) throw self.outOfGroup(entry);
        yield checkRecord(entry);
        count++;
        if (flags === FRAME_FLAGS.last) return;
      }
    }
    await this.log.appendAtomic(group());
    this.appended += count;
  }

  private async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await Promise.all(pending);
  }
}
