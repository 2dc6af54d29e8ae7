// Where a derived file of the store stands in the log, and the check that it still stands there: the chunk index
// checkpoint (index-checkpoint.ts) and the catalog checkpoint (catalog-checkpoint.ts) both begin with this. Owns
// the position's bytes and its validity rule, and the file's envelope (size limit, magic, xxh64 trailer); never
// decides what a stale file costs (its caller rebuilds).
// Invariant: a position is accepted only if every segment it names is still there, in order, with the size it had
// (the last one at least that size), and the last TAIL_BYTES before the position still hash the same; a log that
// was cut, rewritten, or is another log fails one of these.
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs-durable.js';
import { LIMITS } from '../util/limits.js';
import { checksum64 } from './checksum.js';
import { CONTENT_ID_BYTES, hashContent, sameContentId } from './content-id.js';
import type { SegmentInfo } from '../log/types.js';

/** Bytes before the checkpoint position whose hash must still match (more than one typical chunk record). */
const TAIL_BYTES = 64 * 1024;

export interface CheckpointPosition {
  /** Records with seq < nextSeq are covered. */
  nextSeq: number;
  /** Every segment at that moment, in log order, with its size then. */
  segments: { name: string; bytes: number }[];
}

/** Little-endian field writer for the derived files. */
export class FieldWriter {
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

/** The reader for FieldWriter's bytes; a read past the end throws ('truncated'). */
export class FieldReader {
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

/** Writes a derived file atomically: `body` (which starts with its magic) and its xxh64 checksum after it. */
export async function writeDerivedFile(path: string, body: Uint8Array): Promise<void> {
  const file = new Uint8Array(body.length + 8);
  file.set(body);
  file.set(await checksum64(body), body.length);
  await writeFileAtomic(path, file);
}

/**
 * Reads a derived file written by writeDerivedFile: its body when it is within the size limit, starts with `magic`
 * and its checksum holds; otherwise why not (`what` names the file in the problem).
 */
export async function readDerivedFile(path: string, magic: Uint8Array, what: string): Promise<{ body: Uint8Array } | { problem: string }> {
  let bytes: Uint8Array;
  try {
    if ((await stat(path)).size > LIMITS.storeDerivedFileBytesMax) return { problem: `${what} too large` };
    bytes = await readFile(path);
  } catch (error) {
    return { problem: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable: ${(error as Error).message}` };
  }
  if (bytes.length < magic.length + 8 || !magic.every((b, i) => bytes[i] === b)) return { problem: `not a ${what}` };
  const body = bytes.subarray(0, bytes.length - 8);
  const sum = await checksum64(body);
  if (!sum.every((b, i) => bytes[body.length + i] === b)) return { problem: 'checksum mismatch (damaged)' };
  return { body };
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

/** Writes `position` (nextSeq, segments, the hash of the bytes before it) to `w`. */
export async function writePosition(w: FieldWriter, logDir: string, position: CheckpointPosition): Promise<void> {
  const last = position.segments[position.segments.length - 1];
  const tail = last ? await readTail(logDir, last.name, last.bytes) : new Uint8Array(0);
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
}

/** Reads a position written by writePosition and checks it against the segments on disk (see the header). */
export async function readPosition(r: FieldReader, logDir: string, current: SegmentInfo[]): Promise<CheckpointPosition | { problem: string }> {
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
  return { nextSeq, segments };
}
