// Messages between the receiver and its content-writer threads (content-writer-pool.ts ↔ content-writer-worker.ts).
// Plain data only: structured clone carries no classes, so errors travel as SerializedError.
import type { SerializedError } from '../errors.js';

/**
 * One chunk of a file (its id is in WriteJob.ids): where its record is in the log, or the chunk itself, carried
 * (fetched from a server: CarriedChunk); and the size the version says it has.
 */
export type ChunkToWrite = ChunkInLog | CarriedChunk;

/**
 * A chunk that travels with the job (a remote receiver fetched it): with `tag`, its record as the log stores it, which
 * the thread checks against the id (checkFetchedChunk) before writing a byte; without, bytes already checked against
 * the id on the main thread (read back from the destination). Handed to the pool, `bytes` are the pool's: when they
 * span their whole ArrayBuffer it is moved to the thread (transferred, detached here) instead of copied.
 */
export interface CarriedChunk {
  bytes: Uint8Array;
  tag?: number;
  /** Where it came from (named in errors). */
  from: string;
  size: number;
}

export interface ChunkInLog {
  segment: string;
  offset: number;
  /** Uncompressed size the chunk record declares (sizes the read). */
  storedSize: number;
  /** Size the version's chunk reference declares (the bytes written must match it). */
  size: number;
}

/** Write `temp` (created, O_EXCL) with the file's content; the receiver renames it once it is durable. */
export interface WriteJob {
  job: number;
  /** Named in errors: the file the temp becomes. */
  target: string;
  temp: string;
  mode: number;
  /** The umask would change `mode`: set it through the descriptor. */
  setMode: boolean;
  mtimeSeconds: number;
  /** fsync before close (a file synced on its own, not through a batch's `sync -f`). */
  fsync: boolean;
  chunks: ChunkToWrite[];
  /**
   * The chunks' ids, 32 bytes each, back to back, in one buffer of their own: a record's ids are views into its
   * payload, and each would clone that whole payload on its way to the thread.
   */
  ids: Uint8Array;
}

export interface WorkerData {
  /** The log whose segments ChunkInLog jobs read; none for a receiver whose chunks are all carried. */
  logDir?: string;
}

/** Answers come in job order per message: `bytes` written, or the error (the temp file is already removed). */
export type WriteReply = { job: number; bytes: number } | { job: number; error: SerializedError };

/** What a thread posts: answers to jobs, or once, when it has loaded everything it needs, that it is ready. */
export type WorkerMessage = WriteReply[] | { ready: true };
