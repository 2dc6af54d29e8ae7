// Synchronous reads of single records by position, for a worker thread that has nothing else to do while it waits
// (the receiver's content writers): no thread-pool hop and no promise per read. Same checks and the same typed
// errors as Log.readAt (read-at-position.ts); reads only, never locks, never writes.
// Invariant: a payload is returned only when its frame checksum, seeded with its segment's salt, matches. The
// payload is a view into a buffer the next read reuses: copy it (or finish with it) first.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { wrapIoError } from '../errors.js';
import { LOG_LIMITS } from '../util/limits.js';
import { initChecksum } from './checksum.js';
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './format.js';
import { checkPosition, frameHeaderAt, framePayloadAt, type RecordPositionRef } from './read-at-position.js';
import { checkSegmentHeader } from './segment-file.js';

interface OpenSegmentSync {
  fd: number;
  salt: bigint;
}

/** Reads up to `target.length` bytes at `position` (fewer only at end of file). */
function readAtMostSync(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.length) {
    const got = readSync(fd, target, done, target.length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

const INITIAL_BUFFER_BYTES = 256 * 1024;

export class SegmentReaderSync {
  /** Open segments, oldest use first (at most LOG_LIMITS.readHandlesMax). */
  private readonly segments = new Map<string, OpenSegmentSync>();
  private buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
  private closed = false;

  private constructor(readonly dir: string) {}

  /** A reader of the log in `dir` (the checksum's wasm module is loaded first). */
  static async open(dir: string): Promise<SegmentReaderSync> {
    await initChecksum();
    return new SegmentReaderSync(dir);
  }

  /**
   * The record at `position`, checksum verified. `payloadBytesHint` (the payload size the caller expects, e.g. a
   * chunk's size plus its fields) lets one read fetch the whole frame; a frame larger than the hint costs a second.
   */
  readAt(position: RecordPositionRef, payloadBytesHint = 0): { tag: number; payload: Uint8Array } {
    if (this.closed) throw new Error('SegmentReaderSync is closed');
    const baseSeq = checkPosition(position);
    const segment = this.segment(position.segment, baseSeq);
    const path = join(this.dir, position.segment);
    try {
      this.reserve(FRAME_HEADER_BYTES + Math.max(0, payloadBytesHint));
      let bytes = this.buffer.subarray(0, FRAME_HEADER_BYTES + Math.max(0, payloadBytesHint));
      let got = readAtMostSync(segment.fd, bytes, position.offset);
      const decoded = frameHeaderAt(bytes, got, position);
      if (got < decoded.frameBytes && got === bytes.length) {
        this.reserve(decoded.frameBytes);
        bytes = this.buffer.subarray(0, decoded.frameBytes);
        got = readAtMostSync(segment.fd, bytes, position.offset);
      }
      const payload = framePayloadAt(bytes, got, decoded, segment.salt, position);
      return { tag: decoded.header.tag, payload };
    } catch (error) {
      throw wrapIoError(error, 'read record', path);
    }
  }

  close(): void {
    this.closed = true;
    for (const segment of this.segments.values()) closeQuietly(segment.fd);
    this.segments.clear();
  }

  private reserve(bytes: number): void {
    if (this.buffer.length < bytes) this.buffer = new Uint8Array(Math.max(bytes, this.buffer.length * 2));
  }

  private segment(name: string, baseSeq: number): OpenSegmentSync {
    const open = this.segments.get(name);
    if (open) {
      // Most recently used last: the Map's order is the eviction order.
      this.segments.delete(name);
      this.segments.set(name, open);
      return open;
    }
    if (this.segments.size >= LOG_LIMITS.readHandlesMax) {
      const [oldest, segment] = this.segments.entries().next().value as [string, OpenSegmentSync];
      this.segments.delete(oldest);
      closeQuietly(segment.fd);
    }
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw wrapIoError(error, 'open segment', path);
    }
    try {
      const head = new Uint8Array(SEGMENT_HEADER_BYTES);
      const got = readAtMostSync(fd, head, 0);
      const header = checkSegmentHeader({ name, baseSeq, path }, head.subarray(0, got));
      const segment = { fd, salt: header.salt };
      this.segments.set(name, segment);
      return segment;
    } catch (error) {
      closeQuietly(fd);
      throw wrapIoError(error, 'open segment', path);
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // a read-only descriptor has nothing to lose
  }
}
