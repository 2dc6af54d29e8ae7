// The store: one log, its chunk index, catalog and stat cache behind StoreApi. Owns the wiring and the open/close
// lifecycle (index checkpoint load/scan/save); the work lives in ingest.ts, chunk-reader.ts, store-verify.ts.
// Invariants: the chunk index and the catalog learn of a record only after the log said it is appended; derived
// files (index checkpoint, stat cache) are written only by the writer and never trusted over the segments.
import { availableParallelism, loadavg } from 'node:os';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClosedError, CorruptionError, IoError, SynclogError, UsageError, type FormatVersionError } from '../errors.js';
import { chunkPiecesValid, decodeRecord, encodeChunkRecord, encodeRecord, peekChunkIdAndSize, RECORD_TAGS, type ChunkRef, type ContentIdBytes, type LogRecord, type ParamsRecord } from '../record/index.js';
import { assert } from '../util/assert.js';
import { LIMITS } from '../util/limits.js';
import { Catalog } from './catalog.js';
import { ChunkIndex, type ChunkLocation } from './chunk-index.js';
import { InlineProcessor, type ChunkProcessor } from './chunk-processor.js';
import { contentIdHex } from './content-id.js';
import { locateChunk, readChunk, readChunkRecord, readChunkRecords, readContent, type ChunkReaderContext } from './chunk-reader.js';
import { DEFAULT_CHUNK_SIZES, type ChunkSizes } from './chunker.js';
import { readyCodecs } from './compress.js';
import { loadCatalogCheckpoint, saveCatalogCheckpoint } from './catalog-checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from './index-checkpoint.js';
import { Ingester } from './ingest.js';
import type { LogModule, StoreLog } from './log-port.js';
import { RecentChunkLocations } from './recent-chunk-locations.js';
import { StatCache } from './stat-cache.js';
import { DEFAULT_PARAMS, FORMAT_1_PARAMS, writeParams } from './store-params.js';
import { verifyStore } from './store-verify.js';
import { WorkerPool } from './worker-pool.js';
import type { ChunkRecordResult, EntryReadOptions, IngestedContent, StatKey, StoreApi, StoreOptions, StoreStats, StoreVerifyReport, StoredRecord } from './types.js';
import type { AppendInput, RecoveryReport, SkippedRegion } from '../log/types.js';

export const STAT_CACHE_FILE_NAME = 'store.stat-cache';

/**
 * A file's identity (device and inode): a rename over it gives another. Undefined when it is gone. Synchronous: it is
 * asked before every chunk read (segmentUnchanged), where an async stat's thread-pool round trip cost a server 0.6 s
 * of main thread per 60 MB served; a stat of a segment file is a cached inode's.
 */
function fileIdentity(path: string): string | undefined {
  try {
    const s = statSync(path, { throwIfNoEntry: false });
    return s && `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}
const DEFAULT_KINDS = ['version', 'delete', 'watch'] as const;
const CATALOG_KINDS = [...DEFAULT_KINDS, 'forget'] as const;

/** How the catalog came to be (for tests): from the checkpoint plus the records after it, or replayed from the log. */
export interface CatalogOpenReport {
  source: 'checkpoint' | 'replayed';
  /** Why a checkpoint was not used. */
  problem?: string;
  /** Records the checkpoint gave. */
  restoredRecords: number;
}

/** How the index came to be at open (for tests, stats and `synclog verify`). */
export interface IndexOpenReport {
  /** 'checkpoint' when a checkpoint was used (then only records after it were scanned), else 'rebuilt'. */
  source: 'checkpoint' | 'rebuilt';
  /** Why a checkpoint was not used. */
  problem?: string;
  /** Records scanned from the log at open. */
  scannedRecords: number;
}

export class Store implements StoreApi {
  readonly statCache: StatCache;
  index = new ChunkIndex();
  indexReport: IndexOpenReport = { source: 'rebuilt', scannedRecords: 0 };
  private readonly ingester: Ingester;
  /** The log's store parameters (its params record, or format 1's); chunking follows them, not this binary's defaults. */
  params: ParamsRecord = FORMAT_1_PARAMS;
  private chunkSizes: ChunkSizes = DEFAULT_CHUNK_SIZES;
  /** Why this binary may not write to this log (a params value it lacks), if so. */
  private writeRefusal: FormatVersionError | undefined;
  private inline = new InlineProcessor(DEFAULT_CHUNK_SIZES);
  private pool: WorkerPool | undefined;
  private catalogLoad: Promise<Catalog> | undefined;
  private catalogReady: Catalog | undefined;
  catalogReport: CatalogOpenReport | undefined;
  /** Log bytes the catalog checkpoint the catalog started from covered (0: replayed from the start). */
  private catalogCoveredBytes = 0;
  private scanFromSeq = 0;
  /** The index's load (checkpoint + scan); unset until needed when opened with `indexOnDemand`. */
  private indexLoad: Promise<void> | undefined;
  private scanning: Promise<void> | undefined;
  private scanAgain: Promise<void> | undefined;
  private scanError: CorruptionError | undefined;
  private checkpointedCount = -1;
  private checkpointing: Promise<void> | undefined;
  private closed = false;
  /** appendRecords/appendAtomic calls in flight (they may carry chunk records the index learns of at commit). */
  private readonly recordAppends = new Set<Promise<void>>();
  private readonly readerContext: ChunkReaderContext;
  /** Where the chunk records the last `entries({ trackChunks })` passed are (created on first use). */
  private recentChunks: RecentChunkLocations | undefined;
  /** Per segment the index has entries in: the identity of the file they were read from (see segmentUnchanged). */
  private readonly indexedFiles = new Map<string, string | undefined>();
  /** Segment identities stat'ed in this event-loop turn (identityThisTurn). */
  private readonly identities = new Map<string, string | undefined>();

  constructor(
    readonly logDir: string,
    private readonly log: StoreLog,
    private readonly logModule: LogModule,
    private readonly options: Required<Pick<StoreOptions, 'readOnly' | 'workers' | 'compression' | 'indexOnDemand'>>,
  ) {
    this.statCache = new StatCache(join(logDir, STAT_CACHE_FILE_NAME), options.readOnly);
    const store = this;
    this.ingester = new Ingester({
      log,
      get index() {
        return store.index;
      },
      compression: options.compression,
      get inline() {
        return store.inline;
      },
      pool: () => this.workerPool(),
      poolStarted: () => this.pool !== undefined,
      noteChunkAppended: (seq) => this.catalogReady?.noteAppended([{ seq }]),
      assertWritable: (op) => this.assertWritable(op),
    });
    this.readerContext = {
      log,
      get index() {
        return store.index;
      },
      scanProblem: () => this.scanError,
      skipped: () => this.log.skipped ?? [],
      recent: () => this.recentChunks,
      // A writer's index lags only its own appends still in flight; a reader may be behind another process, and
      // loads the index first when it was left for on demand.
      refreshIndex: async (id) => {
        await this.ingester.whenIndexed(id);
        await this.currentIndex();
      },
      indexCurrent: (where) => this.segmentUnchanged(where.segment),
      relocateAll: () => this.relocateAll(),
    };
  }

  get readOnly(): boolean {
    return this.options.readOnly;
  }

  get recovery(): RecoveryReport | undefined {
    return this.log.recovery;
  }

  /** Damaged regions this store's reads went past so far (opened with `skipDamaged`; empty otherwise). */
  skipped(): SkippedRegion[] {
    return [...(this.log.skipped ?? [])];
  }

  /**
   * Loads the checkpoint (when it still matches the segments), scans the records after it, loads the stat cache.
   * With `indexOnDemand` (read-only) the index part waits for the first read that needs it (`currentIndex`).
   */
  async init(): Promise<void> {
    // A reader that builds its index on demand (the receiver) never asks the stat cache, a writer's concern: it is
    // left empty rather than loaded (tens of MB for a large tree).
    if (this.options.readOnly && this.options.indexOnDemand) return;
    await this.loadParams();
    this.indexLoad = this.loadIndex();
    await this.indexLoad;
    await this.statCache.load();
    // A rebuild that scanned a lot is worth saving now, so a crash before close does not repeat it.
    if (!this.readOnly && this.indexReport.scannedRecords > 0 && this.index.count - this.checkpointedCount >= LIMITS.chunkIndexCheckpointEveryChunks) {
      await this.checkpoint();
    }
  }

  /**
   * Reads the log's params record (a new log's first record; a log without one is format 1's), writing this
   * binary's defaults first into an empty log, so every chunk of a log is cut with the same parameters.
   */
  private async loadParams(): Promise<void> {
    let first: { tag: number; payload: Uint8Array; segment: string; offset: number; seq: number } | undefined;
    for await (const entry of this.log.read({ fromSeq: 0 })) {
      first = entry;
      break;
    }
    if (!first) {
      if (!this.readOnly) await this.log.append(encodeRecord(DEFAULT_PARAMS));
      this.params = DEFAULT_PARAMS;
    } else if (first.tag === RECORD_TAGS.params) {
      const record = decodeRecord(first.tag, first.payload, { file: first.segment, offset: first.offset, seq: first.seq });
      assert(record.kind === 'params', 'params tag decoded to another kind');
      this.params = record;
    }
    const judged = writeParams(this.params, this.logDir);
    if ('refusal' in judged) {
      this.writeRefusal = judged.refusal;
      return;
    }
    this.chunkSizes = judged.sizes;
    this.inline = new InlineProcessor(judged.sizes);
  }

  /** The index from the checkpoint (when usable) plus a scan of the records after it. */
  private async loadIndex(): Promise<void> {
    const segments = await this.log.segments();
    const loaded = await loadCheckpoint(this.logDir, segments);
    if ('index' in loaded) {
      this.index = loaded.index;
      this.scanFromSeq = loaded.nextSeq;
      this.indexReport = { source: 'checkpoint', scannedRecords: 0 };
      this.checkpointedCount = loaded.index.count;
      for (const segment of segments) this.noteSegmentFile(segment.name);
    } else {
      this.indexReport = { source: 'rebuilt', problem: loaded.problem, scannedRecords: 0 };
    }
    await this.scanIndex();
  }

  /** The index brought up to the log's end for a reader (loaded first if it was left for on demand). */
  private async currentIndex(): Promise<void> {
    if (!this.indexLoad) {
      this.indexLoad = this.loadIndex();
      return this.indexLoad;
    }
    await this.indexLoad;
    if (this.readOnly) await this.scanIndex();
  }

  /**
   * Indexes chunk records from where the last scan stopped (tag filter: other records are skipped undecoded). A call
   * made while a scan runs gets one more scan after it: the running one may have started before what it looks for.
   */
  private scanIndex(): Promise<void> {
    if (!this.scanning) {
      this.scanning = this.runScan().finally(() => (this.scanning = undefined));
      return this.scanning;
    }
    this.scanAgain ??= this.scanning.then(() => {
      this.scanAgain = undefined;
      return this.scanIndex();
    });
    return this.scanAgain;
  }

  /** False when the segment file is not the one its index entries were read from (a prune replaced it). */
  private async segmentUnchanged(segment: string): Promise<boolean> {
    const known = this.indexedFiles.get(segment);
    if (known === undefined) return true;
    return this.identityThisTurn(segment) === known;
  }

  /**
   * fileIdentity of a segment, stat'ed once per event-loop turn: a request for 256 chunks looked each one up with a
   * stat of its own (~0.3 s of a server's main thread per 400 MB served), though they lie in a few segments and the
   * reads they guard all start after the turn anyway.
   */
  private identityThisTurn(segment: string): string | undefined {
    if (this.identities.has(segment)) return this.identities.get(segment);
    if (this.identities.size === 0) setImmediate(() => this.identities.clear());
    const identity = fileIdentity(join(this.logDir, segment));
    this.identities.set(segment, identity);
    return identity;
  }

  /** Remembers which file a segment's locations come from, the first time one is learned. */
  private noteSegmentFile(segment: string): void {
    if (!this.indexedFiles.has(segment)) this.indexedFiles.set(segment, fileIdentity(join(this.logDir, segment)));
  }

  /** Rebuilds the index from the log as it is now, and forgets the recent window (after a prune moved records). */
  private relocating: Promise<void> | undefined;
  private relocateAll(): Promise<void> {
    this.relocating ??= (async () => {
      await this.scanning?.catch(() => {});
      this.recentChunks?.clear();
      this.index = new ChunkIndex();
      this.indexedFiles.clear();
      this.scanFromSeq = 0;
      this.scanError = undefined;
      this.indexLoad ??= Promise.resolve();
      await this.scanIndex();
    })().finally(() => (this.relocating = undefined));
    return this.relocating;
  }

  private async runScan(): Promise<void> {
    try {
      // The index copies what it keeps (id, location): payloads are lent, not copied.
      for await (const entry of this.log.read({ fromSeq: this.scanFromSeq, tags: [RECORD_TAGS.chunk], lendTags: [RECORD_TAGS.chunk] })) {
        const record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
        assert(record.kind === 'chunk', 'tag filter let a non-chunk record through');
        this.noteSegmentFile(entry.segment);
        this.index.add(record.id, { segment: entry.segment, offset: entry.offset, size: record.size });
        this.scanFromSeq = entry.seq + 1;
        this.indexReport.scannedRecords++;
      }
      this.scanFromSeq = Math.max(this.scanFromSeq, this.log.nextDurableSeq ?? this.log.nextSeq);
    } catch (error) {
      // Mid-log damage: keep what was indexed, remember where it stopped; readers and verify report it.
      if (!(error instanceof CorruptionError)) throw error;
      this.scanError = error;
    }
  }

  /** Whether this store started its worker threads (it does once compression needs them: ingest.ts compressorFor). */
  get workersStarted(): boolean {
    return this.pool !== undefined;
  }

  private workerPool(): ChunkProcessor {
    if (this.options.workers === 0) return this.inline;
    this.pool ??= new WorkerPool(this.options.workers, this.chunkSizes);
    // Every worker died (out of memory, or its module failed to load): go on in this thread, slower but working.
    return this.pool.size > 0 ? this.pool : this.inline;
  }

  private assertOpen(op: string): void {
    if (this.closed) throw new ClosedError(`store is closed (${op})`);
  }

  private assertWritable(op: string): void {
    this.assertOpen(op);
    if (this.readOnly) throw new UsageError(`${op} needs a writable store (opened read-only)`);
    if (this.writeRefusal) throw this.writeRefusal;
  }

  ingestFile(absolutePath: string, options: { signal?: AbortSignal; sizeHint?: number } = {}): Promise<IngestedContent & { stat: StatKey }> {
    return this.ingester.ingestFile(absolutePath, options.signal, options.sizeHint).finally(() => this.maybeCheckpoint());
  }

  ingestStream(source: AsyncIterable<Uint8Array>): Promise<IngestedContent> {
    return this.ingester.ingestStream(source).finally(() => this.maybeCheckpoint());
  }

  /** Encodes and checks records, refusing malformed ones before anything is written. */
  private encodeChecked(record: LogRecord): AppendInput {
    if (record.kind === 'chunk') {
      // A chunk goes to disk from its own buffer, checked in its pieces as the decoder checks a whole one: joining
      // and decoding every byte a push server appends was a third of its time (measured: 0.8 s of 2.3 s for 32 MB).
      const pieces = encodeChunkRecord(record);
      if (chunkPiecesValid(pieces.payload)) return pieces;
    }
    const input = encodeRecord(record);
    try {
      decodeRecord(input.tag, input.payload);
    } catch (error) {
      throw new UsageError(`refusing to append a malformed ${record.kind} record: ${(error as Error).message}`, { kind: record.kind });
    }
    return input;
  }

  async appendRecords(records: LogRecord[]): Promise<StoredRecord[]> {
    this.assertWritable('appendRecords');
    this.assertChunksAhead(records);
    const inputs = records.map((record) => this.encodeChecked(record));
    // Chunk records ingests queued before these records: they share this commit or an earlier one (no extra fsync).
    const chunksBefore = this.ingester.queuedUnsynced();
    return this.tracked(
      this.log.appendMany(inputs).then(async (positions) => {
        await Promise.all(chunksBefore);
        const stored = positions.map((position, i) => ({ ...position, record: records[i]! }));
        this.learn(stored);
        return stored;
      }),
    );
  }

  /**
   * A version is the commit point: every chunk it names must be in the log or queued ahead of it. A chunk whose
   * append was refused (the disk was full) is neither, and the version would point at nothing: refuse it with that
   * append's error, so the caller reads the file again later (the watcher retries).
   */
  private assertChunksAhead(records: readonly LogRecord[]): void {
    for (const record of records) {
      if (record.kind !== 'version' || !record.chunks) continue;
      for (const chunk of record.chunks) {
        if (this.ingester.isStoredOrQueued(chunk.id)) continue;
        if (records.some((r) => r.kind === 'chunk' && contentIdHex(r.id) === contentIdHex(chunk.id))) continue;
        const failure = this.ingester.lastChunkFailure;
        if (failure instanceof SynclogError) throw failure;
        throw new IoError(`a chunk of ${record.root}/${record.path} is not in the log (its append failed); read the file again`, {
          op: 'append',
          path: `${record.root}/${record.path}`,
        }, { cause: failure });
      }
    }
  }

  /** Keeps an append in `recordAppends` until the index and catalog have learned of it (see checkpoint()). */
  private tracked<T>(append: Promise<T>): Promise<T> {
    const settled = append.then(
      () => {},
      () => {},
    );
    this.recordAppends.add(settled);
    void settled.finally(() => this.recordAppends.delete(settled));
    return append;
  }

  async appendAtomic(records: AsyncIterable<LogRecord> | Iterable<LogRecord>): Promise<StoredRecord[]> {
    this.assertWritable('appendAtomic');
    // Chunk bytes are not kept for after the commit (an archive may be large): only what the index needs.
    const kept: LogRecord[] = [];
    const self = this;
    async function* inputs() {
      for await (const record of records) {
        const input = self.encodeChecked(record);
        kept.push(record.kind === 'chunk' ? { ...record, data: new Uint8Array(0) } : record);
        yield input;
      }
    }
    const chunksBefore = this.ingester.queuedUnsynced();
    return this.tracked(
      this.log.appendAtomic(inputs()).then(async (positions) => {
        await Promise.all(chunksBefore);
        assert(positions.length === kept.length, 'appendAtomic returned a position per record');
        const stored = positions.map((position, i) => ({ ...position, record: kept[i]! }));
        this.learn(stored);
        return stored;
      }),
    );
  }

  /** After the log committed: index new chunks and tell the catalog. */
  private learn(stored: StoredRecord[]): void {
    for (const item of stored) {
      if (item.record.kind === 'chunk') this.index.add(item.record.id, { segment: item.segment, offset: item.offset, size: item.record.size });
    }
    this.catalogReady?.noteAppended(stored.map((item) => ({ seq: item.seq, stored: item.record.kind === 'chunk' ? undefined : item })));
  }

  async flush(): Promise<void> {
    this.assertOpen('flush');
    await this.ingester.settle();
    if (!this.readOnly) await this.log.sync();
  }

  hasChunk(id: ContentIdBytes): boolean {
    assert(this.indexLoad !== undefined, 'hasChunk before the on-demand index was loaded (await a read or stats() first)');
    return this.index.has(id);
  }

  readChunk(id: ContentIdBytes): Promise<Uint8Array> {
    this.assertOpen('readChunk');
    return readChunk(this.readerContext, id);
  }

  readChunkRecord(id: ContentIdBytes): Promise<{ tag: number; payload: Uint8Array }> {
    this.assertOpen('readChunkRecord');
    return readChunkRecord(this.readerContext, id);
  }

  readChunkRecords(ids: readonly ContentIdBytes[]): Promise<ChunkRecordResult[]> {
    this.assertOpen('readChunkRecords');
    return readChunkRecords(this.readerContext, ids);
  }

  readContent(chunks: readonly ChunkRef[]): AsyncIterable<Uint8Array> {
    this.assertOpen('readContent');
    return readContent(this.readerContext, chunks);
  }

  async *entries(options: EntryReadOptions = {}): AsyncIterable<StoredRecord> {
    this.assertOpen('entries');
    const tags = (options.kinds ?? DEFAULT_KINDS).map((kind) => RECORD_TAGS[kind]);
    const track = options.trackChunks === true && !tags.includes(RECORD_TAGS.chunk);
    if (track) {
      this.recentChunks ??= new RecentChunkLocations(LIMITS.storeRecentChunksMax);
      tags.push(RECORD_TAGS.chunk);
    }
    // A tracked chunk record is looked at once for its id and size: its payload is lent, not copied.
    const lendTags = track ? [RECORD_TAGS.chunk] : undefined;
    for await (const entry of this.log.read({ fromSeq: options.fromSeq, tags, follow: options.follow, signal: options.signal, lendTags })) {
      const where = { file: entry.segment, offset: entry.offset, seq: entry.seq };
      if (track && entry.tag === RECORD_TAGS.chunk) {
        this.trackChunk(entry.tag, entry.payload, where);
        continue;
      }
      const record = decodeRecord(entry.tag, entry.payload, where);
      yield { seq: entry.seq, segment: entry.segment, offset: entry.offset, record };
    }
  }

  /**
   * Remembers where a chunk record an `entries({ trackChunks })` read passed is. One that does not decode is not
   * remembered: a read of it goes through the index to the segment and reports the damage there (an unreferenced
   * damaged chunk stops nothing).
   */
  private trackChunk(tag: number, payload: Uint8Array, where: { file: string; offset: number; seq: number }): void {
    let head = peekChunkIdAndSize(payload);
    if (!head) {
      let record: LogRecord;
      try {
        record = decodeRecord(tag, payload, where);
      } catch {
        return;
      }
      if (record.kind !== 'chunk') return;
      head = record;
    }
    this.noteSegmentFile(where.file);
    this.recentChunks!.add(contentIdHex(head.id), { segment: where.file, offset: where.offset, size: head.size, seq: where.seq });
  }

  /**
   * Where each chunk is, in order (for a reader that reads them itself: the receiver's worker threads). Same
   * errors as readContent for a chunk the log does not have or that lies beyond damage.
   */
  async locateChunks(chunks: readonly ChunkRef[]): Promise<ChunkLocation[]> {
    this.assertOpen('locateChunks');
    const locations: ChunkLocation[] = [];
    for (const chunk of chunks) {
      const where = await locateChunk(this.readerContext, chunk.id);
      locations.push({ segment: where.segment, offset: where.offset, size: where.size });
    }
    return locations;
  }

  catalog(): Promise<Catalog> {
    this.assertOpen('catalog');
    this.catalogLoad ??= (async () => {
      // Only durable records may be skipped over: an append still in flight is applied when its notice arrives.
      // Forget records too (few, small): history marks the versions they name.
      const catalog = new Catalog((fromSeq) => this.entries({ fromSeq, kinds: CATALOG_KINDS }), () => this.log.nextDurableSeq ?? this.log.nextSeq);
      await this.restoreCatalog(catalog);
      // Take notices from now on, before the first read: appends completing during it fill the gaps it leaves (one
      // that completed before it is read by it: a notice comes once the record is durable).
      this.catalogReady = catalog;
      await catalog.refresh();
      return catalog;
    })();
    return this.catalogLoad;
  }

  /**
   * Starts `catalog` from the catalog checkpoint when it proves it still matches the segments (catalog-checkpoint.ts);
   * otherwise leaves it empty, to be replayed from the log. Writers only: a reader (history, log, explore, and one
   * that reads past damage, listing what it skipped) keeps replaying the segments, so damage in a sealed segment
   * is still reported by every reader that opens the log; the writer's rescan is where the replay was measured to
   * cost (docs/store.md "Catalog checkpoint file"). The writer's open walks its newest segment anyway (recovery).
   */
  private async restoreCatalog(catalog: Catalog): Promise<void> {
    if (this.readOnly) {
      this.catalogReport = { source: 'replayed', problem: 'read-only store', restoredRecords: 0 };
      return;
    }
    const loaded = await loadCatalogCheckpoint(this.logDir, await this.log.segments());
    if ('problem' in loaded) {
      this.catalogReport = { source: 'replayed', problem: loaded.problem, restoredRecords: 0 };
      return;
    }
    catalog.restore(loaded.records, loaded.position.nextSeq);
    this.catalogCoveredBytes = loaded.position.segments.reduce((sum, s) => sum + s.bytes, 0);
    this.catalogReport = { source: 'checkpoint', restoredRecords: loaded.records.length };
  }

  /**
   * Saves the catalog checkpoint (writer, on close) when the catalog was read and the log grew by at least
   * `catalogCheckpointEveryBytes` since the checkpoint it started from. After `log.sync()`, so the bytes it covers
   * are durable; never when the catalog's read failed (mid-log damage: the next open must look again).
   */
  private async saveCatalogCheckpoint(): Promise<void> {
    const catalog = this.catalogReady;
    if (!catalog || !this.catalogLoad || this.scanError) return;
    await this.catalogLoad;
    await Promise.allSettled([...this.ingester.inFlight(), ...this.recordAppends]);
    await this.log.sync();
    const segments = (await this.log.segments()).map((s) => ({ name: s.name, bytes: s.bytes }));
    const bytes = segments.reduce((sum, s) => sum + s.bytes, 0);
    if (bytes - this.catalogCoveredBytes < LIMITS.catalogCheckpointEveryBytes) return;
    await saveCatalogCheckpoint(this.logDir, catalog.appliedRecords(), { nextSeq: catalog.nextSeq, segments });
  }

  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    await this.currentIndex();
    const catalog = await this.catalog();
    if (this.readOnly) await catalog.refresh();
    const segments = await this.log.segments();
    return {
      segments: segments.length,
      records: this.log.nextSeq,
      versions: catalog.versionCount,
      paths: catalog.paths().length,
      chunks: this.index.count,
      logicalBytes: catalog.logicalBytes,
      uniqueBytes: this.index.uniqueBytes,
      storedBytes: segments.reduce((sum, s) => sum + s.bytes, 0),
    };
  }

  async verify(onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<StoreVerifyReport> {
    this.assertOpen('verify');
    await this.currentIndex();
    return verifyStore({ logDir: this.logDir, log: this.log, logModule: this.logModule, index: this.index }, onProgress);
  }

  /** Memory the dedup index holds, and per chunk (for the ≤ 64 bytes/chunk budget). */
  indexMemory(): { bytes: number; chunks: number; bytesPerChunk: number } {
    const chunks = this.index.count;
    return { bytes: this.index.memoryBytes, chunks, bytesPerChunk: chunks === 0 ? 0 : this.index.memoryBytes / chunks };
  }

  /** Saves the index checkpoint now (writer only): flushes first so the bytes it covers are durable. */
  checkpoint(): Promise<void> {
    assert(!this.readOnly, 'checkpoint on a read-only store');
    this.checkpointing ??= (async () => {
      try {
        // Every chunk record below `nextSeq` must be in the index: appends already issued have seqs below it, so wait
        // for those to be indexed; anything issued later gets a seq at or above it and is scanned at the next open.
        const nextSeq = this.log.nextSeq;
        await Promise.allSettled([...this.ingester.inFlight(), ...this.recordAppends]);
        await this.log.sync();
        if (this.scanError) return; // never checkpoint past damage: the next open must look again
        const count = this.index.count;
        const segments = (await this.log.segments()).map((s) => ({ name: s.name, bytes: s.bytes }));
        await saveCheckpoint(this.logDir, this.index, { nextSeq, segments });
        this.checkpointedCount = count;
      } finally {
        this.checkpointing = undefined;
      }
    })();
    return this.checkpointing;
  }

  private maybeCheckpoint(): void {
    if (this.readOnly || this.closed || this.checkpointing) return;
    if (this.index.count - Math.max(0, this.checkpointedCount) < LIMITS.chunkIndexCheckpointEveryChunks) return;
    this.checkpoint().catch(() => {}); // a failed checkpoint only costs a longer scan at the next open
  }

  /**
   * The log's owner changed it behind the store (forget records appended, a prune rewrote segments: the store's
   * `log` option): the chunk index is rebuilt from the segments as they are now (a removed chunk is no longer
   * "held"), the catalog is dropped (it would wait for seqs it was never told of) and the stat cache is emptied.
   * Writers only; call it with no append of this store in flight.
   */
  async logChanged(): Promise<void> {
    this.assertWritable('logChanged');
    await Promise.allSettled([...this.ingester.inFlight(), ...this.recordAppends]);
    this.catalogLoad = undefined;
    this.catalogReady = undefined;
    this.statCache.clear();
    this.checkpointedCount = -1;
    await this.relocateAll();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.readOnly) {
        await this.ingester.settle();
        await this.checkpointing?.catch(() => {});
        // The derived files are independent (each written atomically, each checked when loaded), so they are saved
        // together: their fsyncs (two each) overlap instead of queueing one after another. A failed checkpoint only
        // costs a replay at the next open; a failed stat cache save is the caller's error, once all three settled.
        const indexStale = this.index.count !== this.checkpointedCount || this.indexReport.scannedRecords > 0;
        const [, , statCache] = await Promise.allSettled([
          indexStale ? this.checkpoint().catch(() => {}) : undefined,
          this.saveCatalogCheckpoint().catch(() => {}),
          this.statCache.save(),
        ]);
        if (statCache.status === 'rejected') throw statCache.reason;
      }
    } finally {
      this.closed = true;
      await this.pool?.close();
      await this.log.close();
    }
  }
}

/**
 * Worker threads a store starts by default: one per core that other work does not already keep busy, from the
 * 1-minute load average when the store opens. Why: a worker only pays when a core is free to run it. Measured
 * (2026-12-03, quick bench corpus 2,000 files / 60.7 MB and a 100 MiB text file, initial snapshot, warm, load 2-3
 * on 2 cores, pairs alternating): 2 workers 1.72-2.75 s wall, 2.6-2.8 CPU-s; none 1.64-2.16 s, 2.2 CPU-s; the text
 * file 1.39-2.22 s and 2.2-2.4 CPU-s against 1.51-1.86 s and 1.8-1.9 CPU-s. Starting a worker costs ~250 ms of CPU
 * (Node's bootstrap, module loads, zstd's wasm) and every chunk posted to it a message each way, which only a free
 * core wins back. Pure (the inputs are arguments) so it can be tested.
 */
export function defaultWorkerCount(cores: number, loadAverage: number): number {
  return Math.max(0, Math.min(cores, LIMITS.storeWorkersMax, Math.round(cores - loadAverage)));
}

/**
 * Opens the store over the log in `logDir` (created unless `create: false`). A writer takes the log's lock
 * (LockedError when another process holds it); `readOnly: true` never writes anything, derived files included.
 */
export async function openStore(logDir: string, options: StoreOptions = {}): Promise<Store> {
  const workers = options.workers ?? defaultWorkerCount(availableParallelism(), loadavg()[0] ?? 0);
  if (!Number.isInteger(workers) || workers < 0 || workers > LIMITS.storeWorkersMax) {
    throw new UsageError(`workers must be an integer from 0 to ${LIMITS.storeWorkersMax}`, { workers });
  }
  const dir = resolve(logDir);
  // Chunks are (de)compressed synchronously on this thread too (inline processor, readers): zstd loads first.
  await readyCodecs();
  const logModule: LogModule = await import('../log/index.js');
  const readOnly = options.readOnly ?? false;
  if (options.skipDamaged && !readOnly) throw new UsageError('skipDamaged is for read-only stores: a writer never writes past damage');
  if (options.log && readOnly) throw new UsageError('a log given to openStore is for a writer');
  const log =
    options.log ??
    (await logModule.Log.open(dir, {
      readOnly,
      create: readOnly ? false : (options.create ?? true),
      segmentBytesMax: options.segmentBytesMax,
      ...(options.skipDamaged ? { skipDamaged: true } : {}),
    }));
  const store = new Store(dir, log, logModule, { readOnly, workers, compression: options.compression ?? 'auto', indexOnDemand: options.indexOnDemand ?? false });
  try {
    await store.init();
  } catch (error) {
    await log.close().catch(() => {});
    throw error;
  }
  return store;
}
