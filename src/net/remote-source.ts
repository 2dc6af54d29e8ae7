// A remote log as a receiver's source (structurally src/receiver's ReceiverSource and OpenedReceiverSource: net and
// receiver are peers and do not import each other): the receiver's own session applies it, so remote and local
// receiving share all of their code but this adapter. Owns turning remote log entries into
// decoded records (the record codec validates each, paths included, exactly as for a local log) and reading file
// content in batches of chunk fetches. Never yields content that did not hash to its chunk ids (RemoteLog checks).
import { NotFoundError } from '../errors.js';
import type { LogEntry } from '../log/index.js';
import { decodeRecord, RECORD_TAGS, type ChunkRef, type ContentIdBytes } from '../record/index.js';
import { checkChunkSize, contentIdHex, FORMAT_1_PARAMS, writeParams, type EntryReadOptions, type StoredRecord } from '../store/index.js';
import { NET_LIMITS } from '../util/limits.js';
import { ChunkFetcher, type ChunkAsk } from './chunk-fetcher.js';
import { DeltaBases } from './delta-bases.js';
import { LocalChunks, type LocalTarget } from './local-chunks.js';
import { RemoteLog, type FetchedChunkRecord, type RemoteLogOptions, type RemoteLogStats, type RemoteReadOptions } from './remote-log.js';

const DEFAULT_KINDS = ['version', 'delete', 'watch'] as const;

/** What a RemoteSource reads through: RemoteLog over HTTP, or another transport of the same checks (src/jetstream). */
export interface ChunkedLogSource {
  readonly url: string;
  readonly stats: RemoteLogStats;
  /** With `deltaBases`, a source that offers read deltas may use them (RemoteLog); others ignore it. */
  read(options: RemoteReadOptions): AsyncIterable<LogEntry>;
  /** Chunks by id, in order, each checked against its id (undefined: the log has none such). */
  fetchChunks(ids: readonly ContentIdBytes[]): Promise<(Uint8Array | undefined)[]>;
  /**
   * Chunk records by id as the log stores them, not yet checked (RemoteLog): with it, chunks are checked where they
   * are used (checkChunk here, or on a content-writer thread), and small files go to those threads whole.
   */
  fetchChunkRecords?(ids: readonly ContentIdBytes[]): Promise<(FetchedChunkRecord | undefined)[]>;
  /** A fetched record checked against its id (a CorruptionError if it does not match): its content. */
  checkChunk?(record: FetchedChunkRecord, id: ContentIdBytes): Uint8Array;
  /** The log's first record (its params: how to chunk files for LocalChunks), or undefined. */
  first(): Promise<LogEntry | undefined>;
}

/** A fetched chunk: its record, still to be checked, or bytes the source already checked. */
type FetchedChunk = { record: FetchedChunkRecord } | { checked: Uint8Array };

/** A fetched chunk with bytes of its own (the fetcher's answer to a second ask for it: see ChunkFetcher). */
function copyFetched(fetched: FetchedChunk): FetchedChunk {
  return 'checked' in fetched ? { checked: fetched.checked.slice() } : { record: { tag: fetched.record.tag, payload: fetched.record.payload.slice() } };
}

/**
 * A chunk for a content-writer thread (structurally src/receiver's CarriedChunk). Its bytes become the thread's: the
 * pool may move (transfer) them, so nothing here uses them after handing them over.
 */
export interface CarriedChunk {
  bytes: Uint8Array;
  /** The record's tag: the thread checks `bytes` against the id; none: bytes already checked here. */
  tag?: number;
  from: string;
  size: number;
}

export class RemoteSource {
  /** Chunks read from the destination instead of the server (LocalChunks). */
  chunksLocal = 0;
  /** Destination files read to chunk them (LocalChunks: for local chunks and for read deltas' bases alike). */
  get filesChunked(): number {
    return this.local?.filesChunked ?? 0;
  }
  /** Chunk fetches of all files being written, gathered into shared requests. */
  readonly fetcher: ChunkFetcher<FetchedChunk>;
  /** Present when the source hands out records to check (then small files are written by content-writer threads). */
  readonly carryContent?: (chunks: readonly ChunkRef[], target?: LocalTarget) => Promise<CarriedChunk[]>;
  /** Where read deltas find their bases (latest mode: with a destination to chunk). */
  private readonly bases: DeltaBases | undefined;

  constructor(
    readonly remote: ChunkedLogSource,
    private readonly local?: LocalChunks,
  ) {
    this.bases = local && new DeltaBases(local);
    const { fetchChunkRecords, checkChunk } = remote;
    if (fetchChunkRecords && checkChunk) {
      this.fetcher = new ChunkFetcher({ fetchChunks: async (ids) => (await fetchChunkRecords.call(remote, ids)).map((record) => record && { record }) }, copyFetched);
      this.carryContent = (chunks, target) => this.carried(chunks, target);
    } else {
      this.fetcher = new ChunkFetcher({ fetchChunks: async (ids) => (await remote.fetchChunks(ids)).map((checked) => checked && { checked }) }, copyFetched);
    }
  }

  /**
   * Decoded records in log order (`trackChunks` means nothing here: chunks are fetched by id). A receiver catching up
   * reads its backlog once: its plan keeps the records for the apply pass (receiver-session.ts), which reads on from
   * the server after them.
   */
  async *entries(options: EntryReadOptions): AsyncIterable<StoredRecord> {
    const tags = (options.kinds ?? DEFAULT_KINDS).map((kind) => RECORD_TAGS[kind]);
    for await (const entry of this.remote.read({ fromSeq: options.fromSeq ?? 0, tags, follow: options.follow, signal: options.signal, deltaBases: this.bases })) {
      const record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
      this.bases?.noteReceived(entry.seq, record);
      yield { seq: entry.seq, segment: entry.segment, offset: entry.offset, record };
    }
  }

  /**
   * A file's content in order: chunks the destination already holds (LocalChunks: the file at `target`, or one this
   * run wrote) are read there and checked, the rest asked of the fetcher up to chunkReadAheadCount ahead of the one
   * being yielded (so at most that many of this file's chunks in memory, and the next ones download while these are
   * written); the fetcher gathers the asks of every file being written into shared requests, and a chunk another
   * file asked for and has not used yet (or used a moment ago) is shared, not fetched twice (ChunkFetcher).
   */
  async *readContent(chunks: readonly ChunkRef[], target?: LocalTarget): AsyncIterable<Uint8Array> {
    const places = this.local && target ? await this.local.find(chunks, target) : new Map();
    const placeOf = (chunk: ChunkRef) => places.get(contentIdHex(chunk.id));
    const asked: (ChunkAsk<FetchedChunk> | undefined)[] = [];
    let askedUpTo = 0;
    const ahead = NET_LIMITS.chunkReadAheadCount;
    try {
      for (let at = 0; at < chunks.length; at++) {
        // Refilled by halves, so a large file's asks leave as requests of ~ahead/2 chunks, not one chunk each.
        if (askedUpTo - at <= ahead / 2) {
          for (; askedUpTo < chunks.length && askedUpTo < at + ahead; askedUpTo++) {
            if (!placeOf(chunks[askedUpTo]!)) asked[askedUpTo] = this.fetcher.get(chunks[askedUpTo]!);
          }
        }
        const chunk = chunks[at]!;
        const place = placeOf(chunk);
        const local = place ? await this.local!.read(place, chunk) : undefined;
        if (local) {
          this.chunksLocal++;
          yield checkChunkSize(local, chunk);
          continue;
        }
        // A local chunk that failed its check is fetched now.
        const ask = asked[at] ?? (asked[at] = this.fetcher.get(chunk));
        const content = checkChunkSize(this.contentOf(await ask.answer, chunk), chunk);
        // Released once used: until then another file asking for this chunk shares this ask, and a while after (kept:
        // the fetched record is only read here, never handed on).
        ask.release({ kept: true });
        asked[at] = undefined;
        yield content;
      }
    } finally {
      // Stopped early (a failed write, an abort): the asks still held are given up.
      for (const ask of asked) ask?.release();
    }
    if (target) this.local?.noteWritten(chunks, target);
  }

  /** A chunk for a content-writer thread: bytes read back and checked here, or a fetched record the thread checks. */
  private carriedOf(chunk: ChunkRef, local: Uint8Array | undefined, fetched: FetchedChunk | undefined): CarriedChunk {
    const from = this.remote.url;
    if (local) return { bytes: local, from, size: chunk.size };
    if (!fetched) throw new NotFoundError(`chunk ${contentIdHex(chunk.id)} is not in the log at ${from}`, { what: 'chunk', id: contentIdHex(chunk.id) });
    if ('checked' in fetched) return { bytes: fetched.checked, from, size: chunk.size };
    // Counted here: the thread inflates it.
    this.remote.stats.chunkBytesInflated += chunk.size;
    return { bytes: fetched.record.payload, tag: fetched.record.tag, from, size: chunk.size };
  }

  private contentOf(fetched: FetchedChunk | undefined, chunk: ChunkRef): Uint8Array {
    if (!fetched) throw new NotFoundError(`chunk ${contentIdHex(chunk.id)} is not in the log at ${this.remote.url}`, { what: 'chunk', id: contentIdHex(chunk.id) });
    return 'checked' in fetched ? fetched.checked : this.remote.checkChunk!(fetched.record, chunk.id);
  }

  /**
   * A small file's chunks for a content-writer thread, all in memory (the receiver sends only files of at most
   * carriedFileBytesMax): read from the destination and checked here (LocalChunks), or fetched records the thread
   * checks against their ids before it writes a byte.
   */
  private async carried(chunks: readonly ChunkRef[], target?: LocalTarget): Promise<CarriedChunk[]> {
    const places = this.local && target ? await this.local.find(chunks, target) : new Map();
    const asked = chunks.map((chunk) => (places.has(contentIdHex(chunk.id)) ? undefined : this.fetcher.get(chunk)));
    const out: CarriedChunk[] = [];
    try {
      for (const [i, chunk] of chunks.entries()) {
        const place = places.get(contentIdHex(chunk.id));
        const local = place ? await this.local!.read(place, chunk) : undefined;
        if (local) this.chunksLocal++;
        out.push(this.carriedOf(chunk, local, local ? undefined : await (asked[i] ?? (asked[i] = this.fetcher.get(chunk))).answer));
      }
    } finally {
      // Released before the bytes go to a thread (which detaches them): a later ask for one of these chunks made a
      // copy of its own, or fetches it again.
      for (const ask of asked) ask?.release();
    }
    // Where the file will be once written: a later file with these chunks reads them there (checked again).
    if (target) this.local?.noteWritten(chunks, target);
    return out;
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
  /** Seq after the log's last record when connected (a saved cursor past it is refused). */
  headSeq?: number;
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
  let headSeq: number;
  try {
    headSeq = (await remote.info()).nextSeq;
    if (run?.mode === 'latest') local = await localChunksFor(remote, run.outputPath);
  } catch (error) {
    remote.close();
    throw error;
  }
  return {
    source: new RemoteSource(remote, local),
    logIdentity: remoteLogIdentity(remote.logId),
    headSeq,
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
