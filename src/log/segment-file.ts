// Segment files on disk: listing a log directory and opening one segment with its header checked. Owns the rule
// that a segment's header must decode and name the same base seq as its file name. Never writes.
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError, FormatVersionError, wrapIoError } from '../errors.js';
import { FORMAT_VERSIONS_READABLE, SEGMENT_HEADER_BYTES } from './format.js';
import { decodeSegmentHeader, type SegmentHeader } from './segment-header.js';
import { parseSegmentFileName } from './segment-name.js';

export interface SegmentRef {
  name: string;
  baseSeq: number;
  path: string;
}

export interface OpenSegment {
  ref: SegmentRef;
  handle: FileHandle;
  header: SegmentHeader;
  /** File size when opened (a live segment grows; callers re-stat). */
  size: number;
  /** The open file itself (device and inode): a segment a prune replaced under the same name is another file. */
  identity: string;
  /** Its ctime when opened (ns): with identity and size, what says the file is as it was (segment-count.ts). */
  ctimeNs: bigint;
}

/** The segments of a log in seq order. A missing directory yields ENOENT wrapped as IoError (callers map it). */
export async function listSegments(dir: string): Promise<SegmentRef[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw wrapIoError(error, 'list log directory', dir);
  }
  const refs: SegmentRef[] = [];
  for (const name of names) {
    const baseSeq = parseSegmentFileName(name);
    if (baseSeq !== undefined) refs.push({ name, baseSeq, path: join(dir, name) });
  }
  return refs.sort((a, b) => a.baseSeq - b.baseSeq);
}

/** Reads exactly `length` bytes at `position` (fewer only at end of file). */
export async function readAtMost(handle: FileHandle, target: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Checks a header read from `ref`; throws the typed error a bad one deserves. */
export function checkSegmentHeader(ref: SegmentRef, bytes: Uint8Array): SegmentHeader {
  const result = decodeSegmentHeader(bytes);
  const where = { file: ref.name, offset: 0, seq: ref.baseSeq };
  switch (result.kind) {
    case 'header':
      if (result.header.baseSeq !== ref.baseSeq) {
        throw new CorruptionError(`segment ${ref.name}: header names base seq ${result.header.baseSeq}`, {
          ...where,
          reason: 'base-seq-mismatch',
        });
      }
      return result.header;
    case 'unsupported':
      throw new FormatVersionError(`segment ${ref.name} has format version ${result.found}; this synclog reads ${FORMAT_VERSIONS_READABLE.join(', ')}`, {
        file: ref.name,
        found: result.found,
        supported: FORMAT_VERSIONS_READABLE,
      });
    case 'incomplete':
      throw new CorruptionError(`segment ${ref.name}: header is shorter than ${SEGMENT_HEADER_BYTES} bytes`, { ...where, reason: 'short-header' });
    case 'bad':
      throw new CorruptionError(`segment ${ref.name}: bad header (${result.reason})`, { ...where, reason: result.reason });
  }
}

/** Opens a segment and checks its header. The caller closes `handle`. */
export async function openSegment(ref: SegmentRef, flags: 'r' | 'r+' = 'r'): Promise<OpenSegment> {
  let handle: FileHandle;
  try {
    handle = await open(ref.path, flags);
  } catch (error) {
    throw wrapIoError(error, 'open segment', ref.path);
  }
  try {
    const stat = await handle.stat({ bigint: true });
    const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
    const got = await readAtMost(handle, bytes, 0);
    const header = checkSegmentHeader(ref, bytes.subarray(0, got));
    return { ref, handle, header, size: Number(stat.size), identity: `${stat.dev}:${stat.ino}`, ctimeNs: stat.ctimeNs };
  } catch (error) {
    await handle.close().catch(() => {});
    throw wrapIoError(error, 'open segment', ref.path);
  }
}
