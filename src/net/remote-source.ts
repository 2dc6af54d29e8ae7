// A remote log as a receiver's source (structurally src/receiver's ReceiverSource and OpenedReceiverSource: net and
// receiver are peers and do not import each other): the receiver's own session applies it, so remote and local
// receiving share all of their code but this adapter. Owns turning remote log entries into
// decoded records (the record codec validates each, paths included, exactly as for a local log) and reading file
// content in batches of chunk fetches. Never yields content that did not hash to its chunk ids (RemoteLog checks).
import { NotFoundError } from '../errors.js';
import type { LogEntry, ReadOptions } from '../log/index.js';
import { decodeRecord, RECORD_TAGS, type ChunkRef, type ContentIdBytes } from '../record/index.js';
import { checkChunkSize, contentIdHex, FORMAT_1_PARAMS, writeParams, type EntryReadOptions, type StoredRecord } from '../store/index.js';
import { NET_LIMITS } from '../util/limits.js';
import { LocalChunks, type LocalTarget } from './local-chunks.js';
import { RemoteLog, type RemoteLogOptions, type RemoteLogStats } from './remote-log.js';

const DEFAULT_KINDS = ['version', 'delete', 'watch'] as const;

/** What a RemoteSource reads through: RemoteLog over HTTP, or another transport of the same checks (src/jetstream). */
export interface ChunkedLogSource {
  readonly url: string;
  readonly stats: RemoteLogStats;
  read(options: ReadOptions): AsyncIterable<LogEntry>;
  /** Chunks by id, in order, each checked against its id (undefined: the log has none such). */
  fetchChunks(ids: readonly ContentIdBytes[]): Promise<(Uint8Array | undefined)[]>;
  /** The log's first record (its params: how to chunk files for LocalChunks), or undefined. */
  first(): Promise<LogEntry | undefined>;
}

/** Records a reading that did not follow yielded, from `fromSeq` in order, kept for one more reading of them. */
interface Replay {
  /** fromSeq and tags of the reading. */
  key: string;
  records: StoredRecord[];
  /** Payload bytes of each record, and in all (Infinity once the limit stopped the keeping). */
  sizes: number[];
  payloadBytes: number;
}

export class RemoteSource {
  /** Chunks read from the destination instead of the server (LocalChunks). */
  chunksLocal = 0;
  /** Chunks being fetched now, by id hex: a second file needing one waits for it (a copy in one catch-up). */
  private readonly fetching = new Map<string, Promise<Uint8Array | undefined>>();
  /** What the last reading that did not follow yielded (entries()). */
  private replay: Replay | undefined;

  constructor(
    readonly remote: ChunkedLogSource,
    private readonly local?: LocalChunks,
  ) {}

  /**
   * Decoded records in log order (`trackChunks` means nothing here: chunks are fetched by id). A receiver catching up
   * reads the same records twice (its plan, then the apply pass: receiver-session.ts); what a reading that does not
   * follow yielded is kept (a prefix of at most NET_LIMITS.replayRecordBytesMax of payload) and the next reading from
   * the same seq with the same kinds takes it from memory, then reads on from the server after it. This halves the
   * record bytes of a remote catch-up (a 100 MiB file's version record lists ~1,400 chunks: 65 KiB).
   */
  async *entries(options: EntryReadOptions): AsyncIterable<StoredRecord> {
    const tags = (options.kinds ?? DEFAULT_KINDS).map((kind) => RECORD_TAGS[kind]);
    let fromSeq = options.fromSeq ?? 0;
    const key = `${fromSeq}:${tags.join(',')}`;
    const replay = this.replay?.key === key ? this.replay : undefined;
    this.replay = undefined;
    // The next reading gets what this one yields (replayed records included) if this one does not follow.
    const keep: Replay | undefined = options.follow ? undefined : { key, records: [], sizes: [], payloadBytes: 0 };
    if (keep) this.replay = keep;
    const kept = (stored: StoredRecord, payloadBytes: number) => {
      if (!keep || keep.payloadBytes + payloadBytes > NET_LIMITS.replayRecordBytesMax) {
        // Full: the replay stays a prefix (its records must follow each other without a gap).
        if (keep) keep.payloadBytes = Infinity;
        return;
      }
      keep.records.push(stored);
      keep.sizes.push(payloadBytes);
      keep.payloadBytes += payloadBytes;
    };
    for (const [i, stored] of (replay?.records ?? []).entries()) {
      if (options.signal?.aborted) return;
      kept(stored, replay!.sizes[i]!);
      yield stored;
      fromSeq = stored.seq + 1;
    }
    for await (const entry of this.remote.read({ fromSeq, tags, follow: options.follow, signal: options.signal })) {
      const record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
      const stored = { seq: entry.seq, segment: entry.segment, offset: entry.offset, record };
      // Kept before it is yielded: a reader that stops after this record (a plan with enough) has it in the replay.
      kept(stored, entry.payload.length);
      yield stored;
    }
  }

  /**
   * A file's content in order: chunks the destination already holds (LocalChunks: the file at `target`, or one this
   * run wrote) are read there and checked, the rest fetched `chunkBatchCount` per request (so at most that many in
   * memory); a chunk another file's read is fetching right now is waited for, not fetched twice.
   */
  async *readContent(chunks: readonly ChunkRef[], target?: LocalTarget): AsyncIterable<Uint8Array> {
    const places = this.local && target ? await this.local.find(chunks, target) : new Map();
    const placeOf = (chunk: ChunkRef) => places.get(contentIdHex(chunk.id));
    for (let at = 0; at < chunks.length; ) {
      const chunk = chunks[at]!;
      const place = placeOf(chunk);
      const local = place ? await this.local!.read(place, chunk) : undefined;
      if (local) {
        this.chunksLocal++;
        yield checkChunkSize(local, chunk);
        at++;
        continue;
      }
      // A run of chunks to fetch (a local one that failed its check is fetched with them).
      let end = at + 1;
      while (end < chunks.length && end - at < NET_LIMITS.chunkBatchCount && !placeOf(chunks[end]!)) end++;
      const batch = chunks.slice(at, end);
      const pending = this.fetch(batch);
      for (let i = 0; i < batch.length; i++) {
        const data = await pending[i]!;
        if (!data) throw new NotFoundError(`chunk ${contentIdHex(batch[i]!.id)} is not in the log at ${this.remote.url}`, { what: 'chunk', id: contentIdHex(batch[i]!.id) });
        yield checkChunkSize(data, batch[i]!);
      }
      at = end;
    }
    if (target) this.local?.noteWritten(chunks, target);
  }

  /** One request for the chunks of `batch` no other read is fetching now; the others wait for that read's. */
  private fetch(batch: readonly ChunkRef[]): Promise<Uint8Array | undefined>[] {
    const hexes = batch.map((chunk) => contentIdHex(chunk.id));
    const fresh = batch.filter((_, i) => !this.fetching.has(hexes[i]!));
    if (fresh.length > 0) {
      const request = this.remote.fetchChunks(fresh.map((c) => c.id));
      request.catch(() => {}); // each waiter below gets the rejection
      fresh.forEach((chunk, i) => {
        const hex = contentIdHex(chunk.id);
        if (this.fetching.has(hex)) return; // twice in this batch: the first one serves both
        const one = request.then((found) => found[i]);
        this.fetching.set(hex, one);
        void one.then(
          () => this.fetching.delete(hex),
          () => this.fetching.delete(hex),
        );
      });
    }
    return hexes.map((hex) => this.fetching.get(hex)!);
  }
}

/** The identity a destination's cursor saves for a remote log: the log's id, whatever URL serves it. */
export function remoteLogIdentity(logId: string): string {
  return `synclog-log:${logId}`;
}

/** One receiver run's remote source (src/receiver's OpenedReceiverSource). */
export interface OpenedRemoteSource {
  source: RemoteSource;
  logIdentity: string;
  endSeq(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** The receiver run a source is opened for (src/receiver passes it). */
export interface RemoteRun {
  outputPath: string;
  mode: string;
}

/**
 * Connects to the server (retrying while it is away) for one receiver run:
 * `new LogReceiver({ logPath: url, outputPath, source: { open: (run) => openRemoteSource(url, options, run) } })`.
 * With a `latest` run, chunks the destination already holds are read there (LocalChunks), chunked with the log's
 * parameters (its first record); a log whose chunker this binary lacks is fetched whole.
 */
export async function openRemoteSource(url: string, options: RemoteLogOptions = {}, run?: RemoteRun): Promise<OpenedRemoteSource> {
  const remote = await RemoteLog.connect(url, options);
  let local: LocalChunks | undefined;
  try {
    if (run?.mode === 'latest') local = await localChunksFor(remote, run.outputPath);
  } catch (error) {
    remote.close();
    throw error;
  }
  return {
    source: new RemoteSource(remote, local),
    logIdentity: remoteLogIdentity(remote.logId),
    endSeq: async () => (await remote.info()).durableSeq,
    close: async () => remote.close(),
  };
}

export async function localChunksFor(remote: ChunkedLogSource, outputPath: string): Promise<LocalChunks | undefined> {
  const first = await remote.first();
  let params = FORMAT_1_PARAMS;
  if (first?.tag === RECORD_TAGS.params) {
    const record = decodeRecord(first.tag, first.payload, { file: first.segment, offset: first.offset, seq: first.seq });
    if (record.kind === 'params') params = record;
  }
  const judged = writeParams(params, remote.url);
  return 'sizes' in judged ? new LocalChunks(outputPath, judged.sizes) : undefined;
}
