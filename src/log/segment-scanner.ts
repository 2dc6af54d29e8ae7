// Sequential frame reading within one segment, through a read buffer so small frames cost no syscall each.
// Owns: turning file bytes into frames or a typed stop (end, incomplete, bad) at an exact offset. Never decides
// whether a stop is a torn tail or corruption (segment-check.ts does) and never writes.
// Invariant: a returned payload is a copy whose checksum matched; a skipped frame (not wanted) is verified too, so
// damage anywhere stops every read, filtered or not; one not wholly in the buffer is read on its own, leaving the
// buffer (and a payload lent from it) as it was. Why: passing it by its length let a tags-filtered read (history,
// stats, the catalog) miss damage in a frame that straddled the end of a read window, depending on where frames
// fell; the extra read is at most one frame per window. The one exception: a frame the scanner's `known` map says
// this process already verified below the durable watermark (frame-map.ts) is passed by unread when not wanted.
import type { FileHandle } from 'node:fs/promises';
import { LOG_LIMITS } from '../util/limits.js';
import { uninitializedBytes } from '../util/uninitialized-bytes.js';
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES, type FrameFlags } from './format.js';
import { decodeFrameHeader, verifyFrame, type FrameBadReason, type FrameIncompleteReason } from './frame.js';
import type { SegmentFrameMap } from './frame-map.js';
import { readAtMost } from './segment-file.js';

export interface ScannedFrame {
  kind: 'frame';
  offset: number;
  frameBytes: number;
  tag: number;
  flags: FrameFlags;
  /** Undefined when the frame was skipped (not wanted). */
  payload: Uint8Array | undefined;
  /** The whole frame (a copy; `payload` is a view into it), when asked for with `keepFrame`. */
  frame?: Uint8Array;
}

export type ScanStep =
  | ScannedFrame
  | { kind: 'end'; offset: number }
  | { kind: 'incomplete'; offset: number; reason: FrameIncompleteReason }
  | { kind: 'bad'; offset: number; reason: FrameBadReason };

/** Decides per frame header whether the payload is wanted (read, verified, returned) or may be skipped. */
export type WantFrame = (tag: number, flags: FrameFlags) => boolean;

export const WANT_ALL: WantFrame = () => true;
export const WANT_NONE: WantFrame = () => false;

/** Known frames passed by, in bytes, after which a wanted frame is read on its own rather than with a window. */
const PASSED_BYTES_FOR_READ_ALONE = 64 * 1024;

export class SegmentScanner {
  private buffer: Uint8Array = new Uint8Array(0);
  private bufferStart = 0;
  offset: number;
  /**
   * Frames of this file the process already verified and found durable (frame-map.ts; set by readLog only, never by
   * verify or recovery): one not wanted is passed by without a read, one wanted is read on its own.
   */
  known: SegmentFrameMap | undefined;
  /** Bytes of known frames passed by without a read since the last frame read. */
  private passedBytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly salt: bigint,
    public fileSize: number,
    offset = SEGMENT_HEADER_BYTES,
  ) {
    this.offset = offset;
  }

  /** Moves to `offset` (a frame boundary) and forgets buffered bytes (the file may have changed there). */
  seek(offset: number): void {
    this.offset = offset;
    this.buffer = new Uint8Array(0);
    this.bufferStart = offset;
  }

  /** Re-reads the file size (a live segment grows, or shrinks when a writer cuts a failed group). */
  async refreshSize(): Promise<number> {
    const { size } = await this.handle.stat();
    return this.useSize(size);
  }

  /** Takes `size` as the file's size now (read by the caller through this file's handle or another of the same file). */
  useSize(size: number): number {
    if (size < this.bufferStart + this.buffer.length) this.buffer = new Uint8Array(0);
    this.fileSize = size;
    return size;
  }

  /** The bytes [offset, offset+length) if the buffer holds them, after reading more when needed. */
  private async window(offset: number, length: number): Promise<Uint8Array> {
    const start = offset - this.bufferStart;
    if (start >= 0 && start + length <= this.buffer.length) return this.buffer.subarray(start, start + length);
    const want = Math.max(0, Math.min(Math.max(length, LOG_LIMITS.readBufferBytes), this.fileSize - offset));
    // A new buffer is left unfilled (uninitializedBytes: a plain Uint8Array, so slice() below still copies): only the
    // bytes read into it are ever looked at. Zero-filling 1 MiB per read at a growing segment's end was most of a
    // tailing reader's time (20 followers of one server).
    const next = this.buffer.length >= want && want <= LOG_LIMITS.readBufferBytes ? this.buffer : uninitializedBytes(want);
    const got = await readAtMost(this.handle, next.subarray(0, want), offset);
    this.buffer = next.subarray(0, got);
    this.bufferStart = offset;
    return this.buffer.subarray(0, Math.min(length, got));
  }

  private inBuffer(offset: number, length: number): boolean {
    const start = offset - this.bufferStart;
    return start >= 0 && start + length <= this.buffer.length;
  }

  /**
   * A known wanted frame from a read of its own (so a scan through frames it passes by reads only the ones it wants),
   * checked as any frame; undefined when the bytes there are not that frame (the normal path then says what they are).
   */
  private async readAlone(at: number, frameBytes: number, keepFrame: boolean): Promise<ScannedFrame | undefined> {
    const own = uninitializedBytes(frameBytes);
    if ((await readAtMost(this.handle, own, at)) < frameBytes) return undefined;
    const head = decodeFrameHeader(own, 0);
    if (head.kind !== 'header' || head.frameBytes !== frameBytes) return undefined;
    const checked = verifyFrame(own, 0, head.header, frameBytes, this.salt);
    if (checked.kind !== 'frame') return undefined;
    this.offset = at + frameBytes;
    const frame = { kind: 'frame', offset: at, frameBytes, tag: head.header.tag, flags: head.header.flags, payload: checked.payload } as const;
    return keepFrame ? { ...frame, frame: own } : frame;
  }

  /** Reads the frame at the current offset; advances past it only when it is a good frame. */
  /** `lend`: frames whose payload may be a view into the scan buffer (valid until the next call), not a copy. */
  /** `keepFrame`: a wanted frame comes back whole as well (`frame`, a copy; its payload a view into it). */
  async next(want: WantFrame = WANT_ALL, lend?: (tag: number) => boolean, keepFrame = false): Promise<ScanStep> {
    const at = this.offset;
    if (at >= this.fileSize) return { kind: 'end', offset: at };
    const known = this.known?.get(at);
    if (known && at + known.frameBytes <= this.fileSize) {
      if (!want(known.tag, known.flags)) {
        this.offset = at + known.frameBytes;
        this.passedBytes += known.frameBytes;
        return { kind: 'frame', offset: at, frameBytes: known.frameBytes, tag: known.tag, flags: known.flags, payload: undefined };
      }
      // Only after passing a good many bytes by (a sparse read: version records between chunks). A read of frames in
      // turn keeps to its 1 MiB windows, or every frame past a window's end would be a pread of its own; so does one
      // passing only small frames by (a window then holds the next ones too).
      if (this.passedBytes >= PASSED_BYTES_FOR_READ_ALONE && !this.inBuffer(at, known.frameBytes)) {
        const alone = await this.readAlone(at, known.frameBytes, keepFrame);
        this.passedBytes = 0;
        if (alone) return alone;
      }
    }
    this.passedBytes = 0;
    const headBytes = await this.window(at, Math.min(this.fileSize - at, FRAME_HEADER_BYTES));
    const head = decodeFrameHeader(headBytes, 0);
    if (head.kind !== 'header') return { ...head, offset: at };
    const { header, frameBytes } = head;
    if (at + frameBytes > this.fileSize) return { kind: 'incomplete', offset: at, reason: 'short-payload' };
    const wanted = want(header.tag, header.flags);
    if (!wanted && !this.inBuffer(at, frameBytes)) {
      // Checked from a read of its own: the scan buffer stays as it is (a payload lent from it stays valid).
      const own = new Uint8Array(frameBytes);
      if ((await readAtMost(this.handle, own, at)) < frameBytes) return { kind: 'incomplete', offset: at, reason: 'short-payload' };
      const checked = verifyFrame(own, 0, header, frameBytes, this.salt);
      if (checked.kind !== 'frame') return { kind: 'bad', offset: at, reason: checked.kind === 'bad' ? checked.reason : 'checksum-mismatch' };
      this.offset = at + frameBytes;
      return { kind: 'frame', offset: at, frameBytes, tag: header.tag, flags: header.flags, payload: undefined };
    }
    const bytes = await this.window(at, frameBytes);
    if (bytes.length < frameBytes) return { kind: 'incomplete', offset: at, reason: 'short-payload' };
    const result = verifyFrame(bytes, 0, header, frameBytes, this.salt);
    if (result.kind !== 'frame') return { kind: 'bad', offset: at, reason: result.kind === 'bad' ? result.reason : 'checksum-mismatch' };
    this.offset = at + frameBytes;
    if (wanted && keepFrame) {
      const frame = bytes.slice(0, frameBytes);
      return { kind: 'frame', offset: at, frameBytes, tag: header.tag, flags: header.flags, payload: frame.subarray(FRAME_HEADER_BYTES), frame };
    }
    const payload = !wanted ? undefined : lend?.(header.tag) ? result.payload : result.payload.slice();
    return { kind: 'frame', offset: at, frameBytes, tag: header.tag, flags: header.flags, payload };
  }
}
