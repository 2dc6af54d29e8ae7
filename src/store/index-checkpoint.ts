// The chunk index checkpoint: the dedup index saved beside the log with the log position it covers, so opening a
// large log scans only the records after it. Owns the file format (docs/store.md "Index checkpoint"); never
// trusted over the segments: a checkpoint is used only if its own checksum holds, every segment it names still
// exists with the size it had (the last one at least that size), and the last 64 KiB before its position still
// hash the same. Anything else is a stale or damaged checkpoint, and the caller rebuilds from the log.
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs-durable.js';
import { LIMITS } from '../util/limits.js';
import { checksum64 } from './checksum.js';
import { ChunkIndex } from './chunk-index.js';
import { CONTENT_ID_BYTES, hashContent, sameContentId } from './content-id.js';
import type { SegmentInfo } from '../log/types.js';

export const CHECKPOINT_FILE_NAME = 'store.chunk-index';
const MAGIC = new TextEncoder().encode('SLCKIDX1');
const FORMAT_VERSION = 1;
/** Bytes before the checkpoint position whose hash must still match (more than one typical chunk record). */
const TAIL_BYTES = 64 * 1024;

export interface CheckpointPosition {
  /** Records with seq < nextSeq are covered. */
  nextSeq: number;
  /** Every segment at that moment, in log order, with its size then. */
  segments: { name: string; bytes: number }[];
}

class Writer {
  private parts: Uint8Array[] = [];
  u32(value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value, true);
    this.parts.push(b);
  }
  f64(value: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.parts.push(b);
  }
  bytes(value: Uint8Array): void {
    this.parts.push(value);
  }
  join(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) (out.set(p, at), (at += p.length));
    return out;
  }
}

class Reader {
  at = 0;
  private readonly view: DataView;
  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  need(n: number): void {
    if (this.at + n > this.data.length) throw new Error('truncated');
  }
  u32(): number {
    this.need(4);
    return (this.at += 4), this.view.getUint32(this.at - 4, true);
  }
  f64(): number {
    this.need(8);
    return (this.at += 8), this.view.getFloat64(this.at - 8, true);
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    return (this.at += n), this.data.subarray(this.at - n, this.at);
  }
}

async function readTail(logDir: string, segment: string, end: number): Promise<Uint8Array> {
  const start = Math.max(0, end - TAIL_BYTES);
  const handle = await open(join(logDir, segment), 'r');
  try {
    const buffer = new Uint8Array(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Writes the index and the position it covers, atomically. The caller makes sure the covered bytes are durable. */
export async function saveCheckpoint(logDir: string, index: ChunkIndex, position: CheckpointPosition): Promise<void> {
  const last = position.segments[position.segments.length - 1];
  const tail = last ? await readTail(logDir, last.name, last.bytes) : new Uint8Array(0);
  const numbers = new Map(position.segments.map((s, i) => [s.name, i]));
  const w = new Writer();
  w.bytes(MAGIC);
  w.u32(FORMAT_VERSION);
  w.f64(position.nextSeq);
  w.u32(position.segments.length);
  for (const segment of position.segments) {
    const name = new TextEncoder().encode(segment.name);
    w.u32(name.length);
    w.bytes(name);
    w.f64(segment.bytes);
  }
  w.f64(tail.length);
  w.bytes(hashContent(tail));
  // Only entries inside the bytes the checkpoint describes: a chunk appended after those sizes were read is above
  // `nextSeq` and is scanned again at the next open (its bytes may not even be durable yet).
  const ids = new Uint8Array(index.count * CONTENT_ID_BYTES);
  const meta = new Uint32Array(index.count * 3);
  let i = 0;
  for (const entry of index.entries()) {
    const number = numbers.get(entry.segment);
    if (number === undefined || entry.offset >= position.segments[number]!.bytes) continue;
    ids.set(entry.id, i * CONTENT_ID_BYTES);
    meta.set([number, entry.offset, entry.size], i * 3);
    i++;
  }
  w.u32(i);
  w.bytes(ids.subarray(0, i * CONTENT_ID_BYTES));
  w.bytes(new Uint8Array(meta.buffer, 0, i * 12));
  const body = w.join();
  const file = new Uint8Array(body.length + 8);
  file.set(body);
  file.set(await checksum64(body), body.length);
  await writeFileAtomic(join(logDir, CHECKPOINT_FILE_NAME), file);
}

export type CheckpointLoad = { index: ChunkIndex; nextSeq: number } | { problem: string };

/** Loads the checkpoint if it is intact and still matches the segments on disk; otherwise says why not. */
export async function loadCheckpoint(logDir: string, current: SegmentInfo[]): Promise<CheckpointLoad> {
  const file = join(logDir, CHECKPOINT_FILE_NAME);
  let bytes: Uint8Array;
  try {
    if ((await stat(file)).size > LIMITS.storeDerivedFileBytesMax) return { problem: 'checkpoint file too large' };
    bytes = await readFile(file);
  } catch (error) {
    return { problem: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable: ${(error as Error).message}` };
  }
  if (bytes.length < MAGIC.length + 8 || !MAGIC.every((b, i) => bytes[i] === b)) return { problem: 'not a checkpoint file' };
  const body = bytes.subarray(0, bytes.length - 8);
  const sum = await checksum64(body);
  if (!sum.every((b, i) => bytes[body.length + i] === b)) return { problem: 'checksum mismatch (damaged)' };
  try {
    return await parseAndCheck(logDir, body, current);
  } catch (error) {
    return { problem: `unreadable checkpoint: ${(error as Error).message}` };
  }
}

async function parseAndCheck(logDir: string, body: Uint8Array, current: SegmentInfo[]): Promise<CheckpointLoad> {
  const r = new Reader(body);
  r.bytes(MAGIC.length);
  if (r.u32() !== FORMAT_VERSION) return { problem: 'unknown checkpoint version' };
  const nextSeq = r.f64();
  const segments: { name: string; bytes: number }[] = [];
  for (let n = r.u32(), i = 0; i < n; i++) segments.push({ name: new TextDecoder().decode(r.bytes(r.u32())), bytes: r.f64() });
  const tailLength = r.f64();
  const tailHash = r.bytes(CONTENT_ID_BYTES);
  for (let i = 0; i < segments.length; i++) {
    const seen = current[i];
    const saved = segments[i]!;
    const isLast = i === segments.length - 1;
    if (!seen || seen.name !== saved.name) return { problem: `stale: segment ${saved.name} is gone or renamed` };
    if (isLast ? seen.bytes < saved.bytes : seen.bytes !== saved.bytes) return { problem: `stale: segment ${saved.name} changed size` };
  }
  const last = segments[segments.length - 1];
  if (last) {
    const tail = await readTail(logDir, last.name, last.bytes);
    if (tail.length !== tailLength || !sameContentId(hashContent(tail), tailHash)) return { problem: 'stale: the log bytes before the checkpoint changed' };
  }
  const count = r.u32();
  const ids = r.bytes(count * CONTENT_ID_BYTES);
  const metaBytes = new Uint8Array(r.bytes(count * 12)); // a copy, aligned for Uint32Array
  const meta = new Uint32Array(metaBytes.buffer, 0, count * 3);
  const index = new ChunkIndex();
  for (let i = 0; i < count; i++) {
    const segment = segments[meta[i * 3]!];
    if (!segment) return { problem: 'damaged: chunk names an unknown segment' };
    index.add(ids.subarray(i * CONTENT_ID_BYTES, (i + 1) * CONTENT_ID_BYTES), { segment: segment.name, offset: meta[i * 3 + 1]!, size: meta[i * 3 + 2]! });
  }
  return { index, nextSeq };
}
