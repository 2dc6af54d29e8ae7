// The public contract of the log (src/log). Payload-agnostic: a record is (tag: u8, payload: bytes). The record
// layer above chooses tags; the log only stores them so readers can skip what they do not want.
import type { LogFileSystem } from './log-fs.js';

export interface LogOptions {
  /** Open for reading only: takes no lock, never writes, never cuts a torn tail (it reports it instead). */
  readOnly?: boolean;
  /** Create the directory and the first segment if the log does not exist (writers only). Default true. */
  create?: boolean;
  /** Roll to a new segment once the current one reaches this size. Default LIMITS.segmentBytesDefault. */
  segmentBytesMax?: number;
  /**
   * Extra time a commit waits to gather more appends before its fsync. Default 0: commit as soon as the previous
   * fsync is done; appends arriving during an fsync share the next one (group commit).
   */
  groupCommitDelayMs?: number;
  /**
   * The writer's durability operations (log-fs.ts). Default: the real file system. Only fault-injection tests pass
   * another (one that records what was synced, so a simulated power cut can drop the rest).
   */
  fileSystem?: LogFileSystem;
  /**
   * Read-only logs: every read goes on past mid-log damage at the next frame that verifies, instead of stopping
   * with CorruptionError, and reports each skipped region (`Log.skipped`). A writer never skips (UsageError).
   */
  skipDamaged?: boolean;
  /**
   * The replicator's writer (`synclog replicate`, src/net): the only writer a replica (a log with a REPLICA marker)
   * accepts; every other writer is refused with a UsageError.
   */
  replica?: boolean;
}

/**
 * A damaged region a `skipDamaged` reader read past: bytes [offset, endOffset) of `segment`, holding records
 * seqFrom..seqTo (inclusive). `seqFrom` or `seqTo` is absent when it cannot be known (never guessed).
 */
export interface SkippedRegion {
  segment: string;
  offset: number;
  endOffset: number;
  seqFrom?: number;
  seqTo?: number;
  reason: string;
}

/** What open did with a torn tail: cut `bytesCut` bytes from `segment` starting at `offset`. */
export interface RecoveryReport {
  segment: string;
  offset: number;
  bytesCut: number;
  reason: string;
}

export interface AppendInput {
  tag: number;
  /**
   * The record's bytes. Several pieces are one payload, written back to back: a large value (a chunk's data) goes to
   * disk from its own buffer instead of being copied into an encoded record first.
   */
  payload: Uint8Array | readonly Uint8Array[];
}

/** Bytes in a payload given whole or in pieces. */
export function payloadBytes(payload: AppendInput['payload']): number {
  if (payload instanceof Uint8Array) return payload.length;
  let bytes = 0;
  for (const piece of payload) bytes += piece.length;
  return bytes;
}

/** A payload as a list of pieces. */
export function payloadPieces(payload: AppendInput['payload']): readonly Uint8Array[] {
  return payload instanceof Uint8Array ? [payload] : payload;
}

/** Where an appended record lives. `seq` is the log-wide record sequence number (0-based, dense). */
/** A record's place and the payload size the caller expects at most (a chunk's size plus its fields): Log.readManyAt. */
export interface HintedPosition {
  segment: string;
  offset: number;
  payloadBytesHint: number;
}

/** One record of Log.readManyAt: its tag and payload (checksum verified), or why it could not be read. */
export type RecordReadResult = { tag: number; payload: Uint8Array } | { error: unknown };

export interface RecordPosition {
  seq: number;
  /** Segment file name (e.g. 00000000000000000000.seg). */
  segment: string;
  /** Byte offset of the frame inside the segment. */
  offset: number;
}

export interface LogEntry extends RecordPosition {
  tag: number;
  payload: Uint8Array;
  /**
   * Only when read with `withFrames`: the record's frame exactly as on disk (checksum, length, tag, flags, payload;
   * docs/format.md "Record frame"), and the salt of its segment that seeds the checksum. `payload` is then a view
   * into `frame`. For a copy that is checked again elsewhere (src/net sends frames to remote readers).
   */
  frame?: Uint8Array;
  salt?: bigint;
}

export interface ReadOptions {
  /** First seq to yield. Default 0. */
  fromSeq?: number;
  /** Only yield entries with these tags (others are skipped cheaply). Default: all. */
  tags?: readonly number[];
  /** Wait for new records at the end instead of finishing (tails the log, across processes). */
  follow?: boolean;
  /** Stops a follow (the iterator then finishes cleanly). */
  signal?: AbortSignal;
  /**
   * Entries with these tags carry a payload that is lent, not copied: a view into the reader's buffer, valid only
   * until the iterator is advanced. For a caller that looks at a record once and keeps nothing of its bytes.
   */
  lendTags?: readonly number[];
  /** Entries carry their frame bytes and segment salt (`LogEntry.frame`, `LogEntry.salt`). Default false. */
  withFrames?: boolean;
}

export interface SegmentInfo {
  name: string;
  baseSeq: number;
  records: number;
  bytes: number;
}

export interface VerifyProblem {
  segment: string;
  offset: number;
  seq?: number;
  reason: string;
}

export interface LogVerifyReport {
  ok: boolean;
  segments: number;
  records: number;
  bytes: number;
  /** A torn tail is reported here, not as an error (a writer died mid-append; open cuts it). */
  tornTail?: RecoveryReport;
  /** Segments a committed prune has yet to put in place (docs/format.md "Prune commit"); the next writer does. */
  prunePending?: string[];
  errors: VerifyProblem[];
}
