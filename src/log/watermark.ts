// The durable watermark (docs/format.md "Durable watermark"): a 16-byte file `durable.seq` in the log directory
// in which the writer publishes the seq below which every record is durable, after each commit's fdatasync.
// Why: a reader in another process sees a record as soon as it is written, before its fsync; a receiver applying
// it could mirror a record that a power cut then takes back from the log, and a later record would reuse its seq.
// Readers in other processes read only below the watermark.
// Owns the file's encoding, the writer's updates and the readers' view of it. Never holds back the writer's own
// process (it knows its durable seq). Invariant: the published value never exceeds what is durable in the log (it
// is written only after the fdatasync that made it so; it is not fsynced itself, so after a crash it can only be
// older than the log, never newer; it is fsynced at open, rollover and close only).
import { closeSync, constants, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { wrapIoError } from '../errors.js';
import { WATERMARK_FILE_NAME } from './format.js';
import { hasLiveWriter } from './lock.js';
import type { LogFileSystem } from './log-fs.js';

const WATERMARK_BYTES = 16;
const MASK = (1n << 64n) - 1n;

/** seq as u64 LE, then its bitwise complement: a torn or foreign file never decodes as a value. */
export function encodeWatermark(nextDurableSeq: number): Uint8Array {
  const bytes = Buffer.alloc(WATERMARK_BYTES);
  bytes.writeBigUInt64LE(BigInt(nextDurableSeq), 0);
  bytes.writeBigUInt64LE(~BigInt(nextDurableSeq) & MASK, 8);
  return bytes;
}

/**
 * The value, or undefined for a torn or foreign file. Read as 32-bit halves, not BigInt: every follower of a server
 * reads the watermark each time it reaches it, and the BigInt decode was a third of that (40 ms of serve's CPU per
 * 20 followers of a 26 MB snapshot).
 */
export function decodeWatermark(bytes: Uint8Array): number | undefined {
  if (bytes.length !== WATERMARK_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if ((~low >>> 0) !== view.getUint32(8, true) || (~high >>> 0) !== view.getUint32(12, true)) return undefined;
  // Above 2^53 - 1 (high word above 2^21 - 1) a seq is not exact as a number: refused as the BigInt decode did.
  if (high > 0x1fffff) return undefined;
  return high * 2 ** 32 + low;
}

/** The writer's side: one descriptor, one 16-byte pwrite per published value (page cache only, no fsync). */
export class WatermarkWriter {
  private constructor(
    private fd: number | undefined,
    private readonly path: string,
    private readonly fs: LogFileSystem,
  ) {}

  /** Opens (creates) the file; a new one's directory entry is fsynced, so the floor it gives survives power loss. */
  static async open(dir: string, fs: LogFileSystem): Promise<WatermarkWriter> {
    const path = join(dir, WATERMARK_FILE_NAME);
    let created: boolean;
    let writer: WatermarkWriter;
    try {
      created = !existsSync(path);
      // Not truncated on open: a reader must never see an empty file while a writer starts (it would wait anyway).
      const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
      // Anything longer than a watermark (written by something else) would never decode and hold readers back.
      if (fstatSync(fd).size > WATERMARK_BYTES) ftruncateSync(fd, WATERMARK_BYTES);
      writer = new WatermarkWriter(fd, path, fs);
    } catch (error) {
      throw wrapIoError(error, 'open durable watermark', path);
    }
    if (created) await fs.syncDir(dir).catch(() => {});
    return writer;
  }

  /**
   * Makes the last published value durable (at open, rollover and close: rare, so the floor recovery trusts is
   * seldom far behind). Best effort: a watermark that stays in the page cache can only come back older after a crash.
   */
  async sync(): Promise<void> {
    if (this.fd === undefined) return;
    await this.fs.datasyncFd(this.fd, this.path).catch(() => {});
  }

  publish(nextDurableSeq: number): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, encodeWatermark(nextDurableSeq), 0, WATERMARK_BYTES, 0);
    } catch {
      // A reader then waits at the last value it saw (safe side); the log itself is not affected.
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * A reader's view: how far it may read. `limitFor(seq, segment)` is asked only when the reader reaches the last
 * value it saw. No file: a log written before the watermark existed, readable to its end as before. A watermark
 * below the records on disk with no live writer (it was killed between its fdatasync and the update, or before a
 * commit's fdatasync): the reader fdatasyncs that segment itself, and then everything valid in it is durable.
 */
export class WatermarkGate {
  /** Records below this seq may be read without asking again. */
  cached = 0;
  /** The segment this reader made durable itself (no live writer): no limit inside it. */
  private syncedSegment: string | undefined;

  constructor(private readonly dir: string) {}

  async limitFor(seq: number, segment: { name: string; handle: FileHandle }): Promise<number> {
    if (this.syncedSegment === segment.name) return Number.POSITIVE_INFINITY;
    const published = this.read();
    if (published === 'missing') return (this.cached = Number.POSITIVE_INFINITY);
    if (published !== undefined && published > seq) return (this.cached = published);
    if (await hasLiveWriter(this.dir)) return (this.cached = published ?? this.cached);
    await segment.handle.datasync().catch(() => {});
    this.syncedSegment = segment.name;
    return Number.POSITIVE_INFINITY;
  }

  /**
   * Of the `count` valid records on disk, how many a reader may see now: all of them unless a live writer has
   * published less (a read-only Log's nextSeq, so a scan that stops at the watermark is not taken as complete).
   */
  async visibleRecords(count: number): Promise<number> {
    const published = this.read();
    if (published === 'missing' || (published !== undefined && published >= count)) return count;
    if (!(await hasLiveWriter(this.dir))) return count;
    return Math.min(count, published ?? 0);
  }

  private read(): number | 'missing' | undefined {
    return readWatermark(this.dir);
  }
}

/** The published value; 'missing' when there is no file; undefined when it cannot be read or decoded now. */
export function readWatermark(dir: string): number | 'missing' | undefined {
  try {
    return decodeWatermark(readFileSync(join(dir, WATERMARK_FILE_NAME)));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
}
