// Every bound on a queue, buffer, input or path in one table (TigerBeetle: a named limit on everything).
// Units last in names. Changing a limit that shapes bytes on disk (recordBytesMax) is a format change: see docs/format.md.

export const LIMITS = {
  /** Largest payload one log record may carry. Readers refuse a frame claiming more, whatever the file size. */
  recordBytesMax: 64 * 1024 * 1024,
  /** Default size at which the writer rolls to a new segment. */
  segmentBytesDefault: 64 * 1024 * 1024,
  /** Most records (and bytes) the writer puts under one fsync (group commit). */
  groupCommitRecordsMax: 4096,
  groupCommitBytesMax: 16 * 1024 * 1024,
  /** Pending appends the writer queues before callers must wait (back-pressure). */
  appendQueueBytesMax: 256 * 1024 * 1024,
  /** A relative path inside a watch root: bytes (UTF-8) and components. */
  pathBytesMax: 4096,
  pathDepthMax: 256,
  /** One path component (a file name), bytes (UTF-8): the common filesystem limit. */
  pathComponentBytesMax: 255,
  /**
   * Shortest version id prefix a user may type (`restore --version`): a shorter one would name many versions. Ids
   * begin with 12 hex digits of their time, so in practice a unique prefix is longer still.
   */
  versionIdPrefixCharsMin: 6,
  /** Candidates an ambiguous version id prefix lists at most (the message says how many more there are). */
  versionIdCandidatesShown: 10,
  /** Content-defined chunking sizes (see docs/format.md "Chunking" for the measurement behind them). */
  chunkBytesMin: 16 * 1024,
  chunkBytesAvg: 64 * 1024,
  chunkBytesMax: 256 * 1024,
  /** Symlink target length stored in a version record. */
  symlinkTargetBytesMax: 4096,
  /** Archive import: total bytes unpacked and the ratio unpacked/packed before it is called a bomb. */
  archiveBytesMaxDefault: 64 * 1024 * 1024 * 1024,
  archiveRatioMaxDefault: 1000,
  archiveEntriesMax: 10_000_000,
  /** The ratio limit is checked only once this many bytes are unpacked (tar headers alone compress well). */
  archiveRatioCheckBytesMin: 1024 * 1024,
  archiveManifestBytesMax: 512 * 1024 * 1024,
  /** Store ingest (docs/store.md): bytes read from a file per step and handed to a chunker. */
  ingestBlockBytes: 1024 * 1024,
  /** Bytes one ingest may have in flight (read but not yet chunked, hashed, compressed and appended). */
  ingestInFlightBytesMax: 4 * 1024 * 1024,
  /** Chunk-record bytes of all ingests handed to the log and waiting for its fsync (memory the log holds meanwhile). */
  ingestUnsyncedBytesMax: 32 * 1024 * 1024,
  /** Files (and streams) at most this size are chunked and hashed on the calling thread: a worker round trip costs more. */
  ingestInlineBytesMax: 64 * 1024,
  /** Idle chunker buffers (2 × chunkBytesMax each) kept for reuse per thread, instead of one allocation per file. */
  chunkerBuffersPooledMax: 4,
  /** Idle read blocks (ingestBlockBytes each) kept for large-file ingest: the blocks in flight of one ingest, about. */
  ingestReadBlocksPooledMax: 4,
  /** Idle read buffers (ingestInlineBytesMax + 1 bytes each) kept for files read whole (up to that size, on this thread). */
  ingestInlineReadBuffersPooledMax: 64,
  /**
   * Read-ahead (util/read-ahead.ts): file bytes warmed into the page cache and not yet finished with by the reader,
   * at most (plus one file). About a second of the reader's work; small beside any page cache. 16 MiB left the
   * main thread of a cold quick-corpus snapshot 78-289 ms in read(2), 64 MiB 77-107 ms (3 alternating runs, load 14-18).
   */
  readAheadBytesMax: 64 * 1024 * 1024,
  /** Store worker threads (chunk, hash, compress) at most. */
  storeWorkersMax: 16,
  /** Jobs (compress requests, blocks to chunk) queued per worker before submitters wait. */
  storeWorkerQueueJobsMax: 8,
  /** Chunks smaller than this are stored raw; a byte histogram of a sample this size spots incompressible chunks before any deflate. */
  compressBytesMin: 512,
  compressSampleBytes: 8 * 1024,
  /**
   * Chunk bytes a store compresses on its own thread before it starts its worker pool (then every later one goes to
   * the workers). Why: starting a worker costs ~250 ms of CPU; a re-snapshot whose few new chunks are a few hundred
   * KiB paid two of them for ~3 ms of compression (docs/store.md "Large files").
   */
  compressInlineBytesBeforePool: 4 * 1024 * 1024,
  /** Chunks up to this size are compressed on the thread that stores them, never posted to a worker (ingest.ts). */
  compressOnCallerBytesMax: 16 * 1024,
  /** Chunk ids in the dedup index at most (its typed arrays grow up to this). */
  chunkIndexEntriesMax: 256 * 1024 * 1024,
  /**
   * A writer saves the catalog checkpoint on close once the log grew by this many bytes since the one it opened
   * with (store.ts). Below it a replay of the records after the checkpoint is cheap, and a rescan that appends only
   * its watch markers does not rewrite the file each time.
   */
  catalogCheckpointEveryBytes: 4 * 1024 * 1024,
  /** Write a chunk index checkpoint once this many chunks were indexed since the last one (also on close). */
  chunkIndexCheckpointEveryChunks: 65_536,
  /** Largest index checkpoint or stat cache file read back (bigger is treated as damaged and rebuilt). */
  storeDerivedFileBytesMax: 4 * 1024 * 1024 * 1024 - 1,
  /** A stat cache entry is trusted only if the file's ctime is this much older than when its content was read (racy-git rule; covers 2 s FAT timestamps). */
  statCacheRacyWindowMs: 2_500,
  /** Stat cache entries at most. */
  statCacheEntriesMax: 10_000_000,
  /** Chunks a content reader fetches ahead of the one being consumed. */
  storeReadAheadChunks: 4,
  /**
   * Chunk locations a sequential reader remembers from the log it just read (`entries({ trackChunks })`): enough for
   * a 2 GiB file's chunks (64 KiB average) at ~200 bytes each.
   */
  storeRecentChunksMax: 32 * 1024,
  // Retention (src/retention, docs/format.md "Retention (format version 3)").
  /** Version ids one forget record names at most (a larger forget writes several records in one atomic group). */
  forgetVersionIdsMax: 16_384,
  /** Bytes of the policy text a forget record carries at most. */
  forgetPolicyBytesMax: 4096,
  /** Segments one prune commit (its PRUNE manifest) rewrites at most. */
  pruneSegmentsMax: 100_000,
} as const;

export type LimitName = keyof typeof LIMITS;

/** Watcher (src/watcher): quiet time before a changed path is read, and the bounds on its queues and retries. */
export const WATCH_LIMITS = {
  /** Default quiet time after a path's last event before it is read (its writes have settled). */
  debounceMsDefault: 100,
  /** A path that never goes quiet (a log file appended every few ms) is read anyway after this long. */
  settleWaitMsMax: 2000,
  /** Paths reconciled together and committed with one append (one fsync). */
  batchPathsMax: 1024,
  /**
   * Files read (ingested) at once within a batch. Each ingest waits for its chunks' fsync, so several in flight
   * share one group commit; beyond ~32 they only contend for the CPU (measured: 5,000 small files, 2 cores).
   */
  ingestConcurrency: 32,
  /** File bytes being read at once across those ingests (a file larger than this is read alone). */
  ingestInFlightFileBytesMax: 64 * 1024 * 1024,
  /** Batches in flight: the next batch is read while the previous one is being fsynced. */
  batchesInFlightMax: 2,
  /**
   * A batch of at least this many paths has its files warmed ahead of its reads (util/read-ahead.ts): a scan, a
   * burst. A handful of paths just written is in the page cache already; a worker for them would cost more.
   */
  readAheadPathsMin: 64,
  /** Times a file that keeps changing while it is read is retried before an error is reported. */
  ingestRetriesMax: 6,
  ingestRetryDelayMsBase: 50,
  ingestRetryDelayMsMax: 2000,
  /**
   * While the log's disk is full, pending paths are tried again after this, doubling up to the max (plus jitter):
   * they are kept, never dropped, and recording resumes at most this long after space is freed.
   */
  diskFullRetryDelayMsBase: 500,
  diskFullRetryDelayMsMax: 10_000,
  /** Paths waiting to settle before the watcher stops tracking them one by one and rescans the root instead. */
  pendingPathsMax: 1_000_000,
  /** Refused names (a backslash, too long) remembered so each is reported once; past this, one may be reported again. */
  refusedNamesMax: 100_000,
  /** A .synclogignore file larger than this is refused (it is a list of patterns, not data). */
  ignoreFileBytesMax: 1024 * 1024,
  /**
   * A delete held for its rename window also waits while the watcher still has other paths in hand (its partner may
   * be among them, late because the machine is loaded), but at most this much longer.
   */
  heldDeleteWaitMsMax: 2000,
  /**
   * A file found empty within this long of its last modification is looked at again before it is recorded: the
   * usual save is truncate-then-write, and a writer starved between the two (a loaded machine) leaves an empty file
   * that is quiet for longer than the debounce. A file that stays empty is recorded once this has passed.
   */
  emptyFileSettleMs: 1000,
  /** Listings a new directory gets (one per debounce) while its own watch has not yet proved to be in place. */
  newDirListingsMax: 4,
  /**
   * The safety-net listing of an active directory (dir-rescan.ts) costs O(entries): a directory of at least this
   * many names is listed again at most every bigDirRelistMs (new directories excepted). Missed events in it are then
   * found within that time instead of one debounce.
   */
  bigDirEntriesMin: 2_000,
  bigDirRelistMs: 10_000,
} as const;

/** Log (src/log): bounds on reading and recovery; docs/format.md "Limits" explains each. */
export const LOG_LIMITS = {
  /** Bytes a segment reader buffers per read (frames larger than this are read on their own). */
  readBufferBytes: 1024 * 1024,
  /**
   * Frames a Log remembers as verified and durable for its readers to pass by (src/log/frame-map.ts), in all its
   * segments: ~50 bytes each, ~6 MiB at most; about 130 segments of 64 KiB chunks.
   */
  frameMapFramesMax: 131_072,
  /**
   * 2 MiB read buffers a Log keeps for readManyAt, one per call in flight (16 MiB at most): a server answering a
   * follower's 3 chunk requests in flight, each read in two groups of up to 16 records, makes about 6 calls at once.
   */
  readRunBuffersPooledMax: 8,
  /**
   * Bytes after a bad frame at the end of the newest segment that open/readers search for a later valid frame
   * (a valid frame there means mid-log damage, not a torn tail). More than this after the bad frame is never a
   * torn tail: one write is at most a group commit or one record.
   */
  tailScanBytesMax: 96 * 1024 * 1024,
  /** Segment files a Log keeps open for readAt(). */
  readHandlesMax: 32,
  /** A follower with no fs.watch event re-checks the log this often (fallback; never a busy poll). */
  followPollMs: 1000,
  /** Largest lock file read back (it holds a small JSON object). */
  lockFileBytesMax: 4096,
} as const;

/** Receiver (src/receiver): how much it applies at once and how often it saves its cursor. */
export const RECEIVER_LIMITS = {
  /** Content-writer threads at most (one per core up to this): they read, check and write files' content. */
  contentWritersMax: 4,
  /** Content offered before the content-writer threads start (below it the main thread writes: see the pool). */
  contentWritersStartBytes: 32 * 1024 * 1024,
  /** Largest file whose chunks travel to a content-writer thread in its job (a remote receiver's: held in memory). */
  carriedFileBytesMax: 4 * 1024 * 1024,
  /**
   * Records applied at once (bounded concurrency; a file parked for its batch's sync no longer holds a slot). A
   * running file holds no descriptor on the main thread (its content-writer thread writes one file at a time), so
   * this only bounds the jobs queued for the threads: enough to keep them fed across folder versions that wait.
   */
  applyConcurrency: 256,
  /** Records applied between two cursor saves while catching up (bounds the work redone after a crash). */
  commitRecordsMax: 2048,
  /** Longest time applied records wait before the cursor is saved (catching up or following). */
  commitIntervalMs: 250,
  /** Records reserved ahead in the cursor; after a crash they form the replay window (see docs/receiver.md). */
  replayWindowRecords: 8192,
  /** Directories fsynced at once when the cursor is saved (more than this changed: one `sync -f` instead). */
  dirSyncConcurrency: 32,
  /** Largest cursor file read back (it holds a small JSON object). */
  cursorFileBytesMax: 64 * 1024,
  /**
   * Batched durability (docs/receiver.md "Crash safety"): temp files written (not fsynced) before one `sync -f` of
   * the destination makes them all durable and they are renamed into place. A batch closes at this many files or
   * bytes, when the log has nothing more ready (live), or when a later record needs one of its paths.
   */
  batchFilesMax: 512,
  batchBytesMax: 64 * 1024 * 1024,
  /**
   * Records a catch-up plans at once (catch-up-plan.ts: about 100 bytes of memory each). A longer backlog is
   * planned up to here and the rest applied record by record.
   */
  catchUpPlanRecordsMax: 1_000_000,
  /**
   * Memory (estimated) of the records a catch-up's plan keeps for its apply pass, which replays them instead of
   * reading them again (a local log's frames, a remote log's records over the wire); past it, the rest are read
   * again. A 100 MiB file's version record lists ~1,600 chunks: ~150 KiB.
   */
  catchUpKeptBytesMax: 32 * 1024 * 1024,
} as const;

/** Explorer (src/explorer): how much of a version it reads to show it, and how often it looks for new records. */
export const EXPLORER_LIMITS = {
  /** Bytes of a version read for a preview (text beyond it is not shown; binary shows far less). */
  previewBytesMax: 1024 * 1024,
  /** Largest version (each side) the diff view compares: both sides are held in memory as text. */
  diffBytesMax: 8 * 1024 * 1024,
  /** How often the explorer asks the catalog for records another process appended. */
  pollIntervalMs: 500,
  /** Longest text a prompt (restore target, archive path) or the filter accepts. */
  inputCharsMax: 4096,
} as const;

/** Network (src/net, docs/protocol.md "Limits"): what one request may ask and how long a server waits for it. */
export const NET_LIMITS = {
  /** Records one record-stream response carries at most (also the largest `limit` a client may ask). */
  recordsPerResponseMax: 10_000,
  /** Frame bytes after which a record stream ends (reason: limit); the frame crossing it is sent whole. */
  responseBytesMax: 64 * 1024 * 1024,
  /** Longest `wait` a client may ask: how long a following stream may stay idle before it ends. */
  recordWaitMsMax: 30_000,
  /** The wait a following client asks (below recordWaitMsMax, so a quiet log still renews its request). */
  followWaitMs: 25_000,
  /** Chunk ids one POST /v1/chunks may ask for (32 bytes each). */
  chunkIdsPerRequestMax: 256,
  /** Request headers in all (Node's maxHeaderSize). */
  headerBytesMax: 16 * 1024,
  /** Request target (path and query). */
  urlBytesMax: 4096,
  /** A client that has not sent its headers after this long is cut off (slowloris). */
  headersTimeoutMs: 10_000,
  /** A request (headers and body) not received after this long gets 408. */
  requestTimeoutMs: 30_000,
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: 5_000,
  /** Connections a server holds at once; more are closed at once. */
  connectionsMax: 128,
  /** Largest error body (JSON) a client reads. */
  errorBodyBytesMax: 64 * 1024,
  /** Largest /v1/log answer a client reads. */
  infoBodyBytesMax: 64 * 1024,
  /** Client retry: first delay, cap (exponential, full jitter). */
  retryDelayMsFirst: 250,
  retryDelayMsMax: 15_000,
  /**
   * Chunks a remote content read asks for ahead of the one it is writing (bounds a file's memory: this many chunks at
   * most), so the next ones download while these are written.
   */
  chunkReadAheadCount: 32,
  /** Chunk requests a remote receiver has in flight at once (the asks of all files being written share them). */
  chunkRequestsInFlight: 3,
  /** Content one chunk request asks for at most (sum of the chunks' sizes; one larger chunk goes alone). */
  chunkRequestBytesMax: 8 * 1024 * 1024,
  /**
   * Fetched chunks a remote receiver keeps after the file that asked for them used them (by the chunks' sizes), so a
   * file read in parallel that asks for the same chunk a little later (a copy, a duplicate) shares it instead of
   * fetching it again (src/net/chunk-fetcher.ts).
   */
  chunkAnswersKeptBytesMax: 8 * 1024 * 1024,
  /**
   * Chunk records a server keeps after reading them for one client (payload bytes), so its other followers asking for
   * the same new chunks moments later are answered without reading them again (src/net/shared-chunk-reads.ts).
   */
  serveChunkRecordsKeptBytesMax: 32 * 1024 * 1024,
  /** Shortest token a token file or SYNCLOG_TOKEN may hold. */
  tokenCharsMin: 16,
  /** Largest token file read. */
  tokenFileBytesMax: 64 * 1024,
  /** Largest PEM file (certificate, key, CA) read. */
  pemFileBytesMax: 1 << 20,
} as const;

/** The push exchange (docs/protocol.md "Push"): what a server takes in one request, and the pusher's batches. */
export const PUSH_LIMITS = {
  /** Chunk ids one POST /v1/push/lacks may ask about (32 bytes each: a 128 KiB body). */
  lacksIdsPerRequestMax: 4096,
  /** Body of one POST /v1/push/chunks (the chunk records, as the client stores them, and their framing). */
  chunkBodyBytesMax: 32 * 1024 * 1024,
  /** Body of one POST /v1/push/records. */
  recordBodyBytesMax: 16 * 1024 * 1024,
  /** Records one POST /v1/push/records may carry. */
  recordsPerRequestMax: 8192,
  /** The pusher's batch: records read from the local log before they are shipped (an atomic group is never cut). */
  batchRecordsMax: 4096,
  /** …and its chunk record bytes, and its other records' bytes: a batch closes (at a group's end) past either. */
  batchChunkBytesMax: 8 * 1024 * 1024,
  batchRecordBytesMax: 8 * 1024 * 1024,
  /**
   * Batches shipped and not yet acknowledged, and the bytes they hold: the next batches' lacks and uploads travel
   * while the oldest waits for its records' durable answer (docs/protocol.md "Pipelining").
   */
  batchesInFlightMax: 4,
  batchBytesInFlightMax: 48 * 1024 * 1024,
  /** The pusher's upload request size it aims at (below chunkBodyBytesMax, so one chunk more still fits). */
  uploadBytesTarget: 8 * 1024 * 1024,
  /** Uploads in flight at once (the server checks one while it appends the other). */
  uploadsInFlight: 2,
  /** Chunk ids a pusher remembers the server holds (it then skips asking): about 10 MB at this count. */
  heldIdsRememberedMax: 262_144,
  /**
   * A version whose chunk list travels as a delta expands to at most this many chunks (a msgpack entry is ≥ 40 bytes).
   * Read deltas (protocol 4, server to receiver) keep this limit and deltaChunksMin too.
   */
  deltaChunksMax: Math.floor((64 * 1024 * 1024) / 40),
  /**
   * A version of fewer chunks travels whole: a delta saves little, and finding its base costs the sender a catalog
   * (the pusher's, or the read server's).
   */
  deltaChunksMin: 16,
  /** Retry while the server is away: first delay, cap (exponential, full jitter). */
  retryDelayMsFirst: 250,
  retryDelayMsMax: 60_000,
} as const;

/** NATS JetStream (docs/jetstream.md "Limits"). */
export const JETSTREAM_LIMITS = {
  /** Publishes awaiting their ack at once (each carries the stream sequence it expects, so they stay in order). */
  publishInFlightMax: 256,
  /** Frame bytes awaiting acks at once (the publisher's memory bound beside the count). */
  publishInFlightBytesMax: 32 * 1024 * 1024,
  /** Messages one pull asks for. */
  fetchBatchCount: 256,
  /** How long a following pull waits for new messages before it is renewed. */
  followWaitMs: 5_000,
  /** How long a catch-up pull waits at most (it ends sooner: the last message says nothing is pending). */
  catchUpWaitMs: 2_000,
  /** A reader's ephemeral consumer is removed by the server after this long unused (a killed reader's). */
  consumerInactiveMs: 60_000,
  /** How long a direct get of a chunk may take before the stream leader is asked instead. */
  directGetTimeoutMs: 5_000,
  /** The JetStream duplicate window the publisher gives a stream it creates (de-duplication by Nats-Msg-Id). */
  duplicateWindowMs: 120_000,
} as const;

/** `synclog run` (src/service, docs/config.md): the config file, hooks, snapshots and the status file. */
export const SERVICE_LIMITS = {
  /** Largest config file read. */
  configBytesMax: 1024 * 1024,
  /** Events waiting per hook; past it new events are dropped and counted (recording never waits for a hook). */
  hookQueueMax: 1000,
  /** How long one hook run (or one webhook attempt) may take before it is killed or abandoned. */
  hookTimeoutMsDefault: 30_000,
  /** Webhook attempts after the first failed one (exponential backoff, full jitter), by default and at most. */
  webhookRetriesDefault: 5,
  webhookRetriesMax: 20,
  webhookRetryDelayMsFirst: 500,
  webhookRetryDelayMsMax: 60_000,
  /** Bytes of a hook's stderr kept for the log line that says why it failed. */
  hookStderrBytesMax: 4096,
  /** Largest webhook secret file read. */
  secretFileBytesMax: 64 * 1024,
  /** Shortest periodic snapshot interval a config may ask for. */
  snapshotEveryMsMin: 1000,
  /** Shortest interval between a server's scheduled retention passes (`serve --retain-every`, `serve.retain_every`). */
  retainEveryMsMin: 1000,
  /** Default interval between them: a pass reads the whole log, daily is what restic users schedule. */
  retainEveryMsDefault: 86_400_000,
  /** How often a running service rewrites its status file (and on every state change, at most this often). */
  statusIntervalMs: 5_000,
  /** A status file older than this (while its process says it runs) is stale: the service hangs or died. */
  statusStaleMs: 60_000,
  /** Errors remembered for `synclog status` ("errors in the last hour"), newest kept. */
  recentErrorsMax: 100,
  recentErrorsWindowMs: 3_600_000,
  /** A push queue or receiver lag whose oldest waiting change is older than this needs attention (status exit 1). */
  attentionAgeMs: 3_600_000,
  /** Directories counted per folder when checking the inotify limit (the count stops there and says "at least"). */
  inotifyCountDirsMax: 2_000_000,
} as const;

/** Two-way sync (docs/sync.md). */
export const SYNC_LIMITS = {
  /** Records a peer copy appends as one atomic group at most (it is cut at an idle moment sooner). */
  copyBatchRecordsMax: 1024,
  /** Chunk bytes (uncompressed) a peer copy holds in memory before it appends them. */
  copyBatchBytesMax: 16 * 1024 * 1024,
  /** Paths the applier writes before it saves the shadow and looks for new work. */
  applyBatchPathsMax: 512,
  /** Renames followed in a chain (x→y→z…) when an edit of the first path is carried to the last (docs/sync.md). */
  moveChainMax: 32,
  /** Largest sync-shadow.json read. */
  shadowFileBytesMax: 256 * 1024 * 1024,
} as const;
