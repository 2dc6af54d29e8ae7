// Streams an archive file (gzip tar or plain tar) as gated entries, under the decompression-bomb limits.
// Owns: gzip detection, the size and ratio limits, and turning every way an archive can be broken (truncated or
// corrupt gzip, a bad tar header, data ending mid-entry) into an ArchiveError naming the archive and the entry.
// Never: writes anything, or hands out an entry that did not pass the gate (entry-gate.ts).
// Invariant: memory stays bounded by the stream buffers whatever the archive holds; a caller that stops early
// (return/throw) closes the file.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, pipeline, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar, { type Extract } from 'tar-stream';
import { ArchiveError, UsageError, isSynclogError, wrapIoError } from '../errors.js';
import { LIMITS } from '../util/limits.js';
import { refuseEntry } from './archive-entry-path.js';
import { EntryGate, type AdmittedEntry, type EntryGateOptions } from './entry-gate.js';

export interface ArchiveLimits {
  /** Total bytes the tar stream may unpack to. Default LIMITS.archiveBytesMaxDefault. */
  maxBytes?: number;
  /** Largest unpacked/packed ratio (gzip only). Default LIMITS.archiveRatioMaxDefault. */
  maxRatio?: number;
}

export interface ReadArchiveOptions extends ArchiveLimits, EntryGateOptions {
  /** Called as packed (file) bytes are read: the basis of import progress. */
  onPackedBytes?: (bytesRead: number) => void;
}

export interface ArchiveItem {
  entry: AdmittedEntry;
  /** The entry's content (files only; empty otherwise). Read it or leave it: the reader drains what is left. */
  body: AsyncIterable<Uint8Array>;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
/** Compressions tar users meet that synclog does not read: named in the refusal instead of "corrupt tar". */
const OTHER_MAGIC: [string, Buffer][] = [
  ['bzip2', Buffer.from('BZh')],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
];

/**
 * True when the file starts with the gzip magic; false for anything else (read as a plain tar). Throws ArchiveError
 * for an empty file and for bzip2/xz/zstd archives.
 */
export async function isGzipFile(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead === 0) throw new ArchiveError(`archive ${file} is empty`, { archive: file, reason: 'truncated' });
    for (const [name, magic] of OTHER_MAGIC) {
      if (bytesRead >= magic.length && head.subarray(0, magic.length).equals(magic)) {
        throw new ArchiveError(`archive ${file} is ${name}-compressed; synclog reads .tar and .tar.gz`, {
          archive: file,
          reason: 'unsupported-compression',
          fix: `decompress it first (e.g. ${name === 'bzip2' ? 'bunzip2' : name === 'xz' ? 'unxz' : 'unzstd'}) or repack it with tar czf`,
        });
      }
    }
    return bytesRead >= 2 && head.subarray(0, 2).equals(GZIP_MAGIC);
  } catch (error) {
    throw wrapIoError(error, 'open archive', file);
  } finally {
    await handle?.close();
  }
}

/** Counts bytes through a stream and enforces the bomb limits on the unpacked side. */
class BombGuard extends Transform {
  unpackedBytes = 0;
  constructor(
    private readonly archive: string,
    private readonly packed: () => number,
    private readonly limits: Required<ArchiveLimits>,
    private readonly gzip: boolean,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.unpackedBytes += chunk.length;
    const { maxBytes, maxRatio } = this.limits;
    if (this.unpackedBytes > maxBytes) {
      callback(bomb(this.archive, 'bomb-size', `unpacks to more than ${maxBytes} bytes`, { limit: 'maxBytes', value: this.unpackedBytes, max: maxBytes, fix: 'if you trust this archive, raise --max-bytes' }));
      return;
    }
    const packed = Math.max(1, this.packed());
    if (this.gzip && this.unpackedBytes > LIMITS.archiveRatioCheckBytesMin && this.unpackedBytes > maxRatio * packed) {
      const ratio = Math.floor(this.unpackedBytes / packed);
      callback(bomb(this.archive, 'bomb-ratio', `unpacks more than ${maxRatio} times its packed size`, { limit: 'maxRatio', value: ratio, max: maxRatio, fix: 'if you trust this archive, raise --max-ratio' }));
      return;
    }
    callback(null, chunk);
  }
}

function bomb(archive: string, reason: 'bomb-size' | 'bomb-ratio', what: string, extra: Record<string, unknown>): ArchiveError {
  return new ArchiveError(`archive ${archive} looks like a decompression bomb: it ${what}`, { archive, reason, ...extra });
}

/** Maps a stream failure to an ArchiveError naming the archive and the entry being read when it happened. */
function archiveFailure(error: unknown, archive: string, entry: string | undefined): Error {
  if (isSynclogError(error)) return error;
  const err = error as NodeJS.ErrnoException;
  const message = err?.message ?? String(error);
  const where = entry === undefined ? '' : ` (in or after entry ${JSON.stringify(entry)})`;
  const fail = (reason: string, what: string) =>
    new ArchiveError(`archive ${archive}${where}: ${what}`, { archive, entry, reason, cause: message }, { cause: error });
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of (file|data)/i.test(message)) return fail('truncated', 'the archive ends early (truncated)');
  if (typeof err?.code === 'string' && err.code.startsWith('Z_')) return fail('corrupt-gzip', `corrupt gzip data (${message})`);
  if (/invalid (tar )?header|header exceeds|unknown format/i.test(message)) return fail('corrupt-tar', `corrupt tar data (${message})`);
  if (typeof err?.code === 'string' && err.code.startsWith('E')) return wrapIoError(error, 'read archive', archive);
  return fail('corrupt-tar', message);
}

/**
 * Read and inflate in large pieces: with the defaults (64 KiB reads, 16 KiB of gunzip output per step) a 400 MB
 * tarball took ~25,000 thread-pool round trips, each a wake-up of the main thread, which then waited on them.
 */
const ARCHIVE_READ_BYTES = 1024 * 1024;
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/**
 * Yields every entry of `file` that passes the gate, in archive order. Throws ArchiveError on the first hostile or
 * broken entry (and on a broken stream), never having yielded anything past it.
 */
export async function* readArchive(file: string, options: ReadArchiveOptions = {}): AsyncGenerator<ArchiveItem> {
  const limits: Required<ArchiveLimits> = {
    maxBytes: options.maxBytes ?? LIMITS.archiveBytesMaxDefault,
    maxRatio: options.maxRatio ?? LIMITS.archiveRatioMaxDefault,
  };
  if (!(limits.maxBytes > 0) || !(limits.maxRatio >= 1)) throw new UsageError('archive limits: maxBytes must be positive and maxRatio at least 1', { ...limits });
  const gzip = await isGzipFile(file);
  let packedBytes = 0;
  const source = createReadStream(file, { highWaterMark: ARCHIVE_READ_BYTES });
  source.on('data', (piece) => {
    packedBytes += piece.length;
    options.onPackedBytes?.(packedBytes);
  });
  const guard = new BombGuard(file, () => packedBytes, limits, gzip);
  const extract = tar.extract();
  const stages = gzip ? [source, createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), guard, extract] : [source, guard, extract];
  let streamError: unknown;
  (pipeline as (...streams: unknown[]) => void)(...stages, (error: unknown) => {
    if (error) streamError = error;
  });
  const gate = new EntryGate(file, options);
  const entries = (extract as Extract)[Symbol.asyncIterator]();
  let current: string | undefined;
  try {
    for (;;) {
      // Only failures of the archive itself are mapped here; errors thrown by the consumer at `yield` pass as they are.
      let item: { entry: AdmittedEntry | undefined; body: AsyncIterable<Uint8Array> };
      try {
        const next = await entries.next();
        if (next.done) break;
        current = String(next.value.header.name);
        item = { entry: gate.admit(next.value.header), body: bytesOf(next.value) };
      } catch (error) {
        throw archiveFailure(streamError ?? error, file, current);
      }
      if (item.entry !== undefined) yield { entry: item.entry, body: mapFailures(item.body, (error) => archiveFailure(streamError ?? error, file, current)) };
      try {
        await drain(item.body);
      } catch (error) {
        throw archiveFailure(streamError ?? error, file, current);
      }
    }
    if (streamError) throw archiveFailure(streamError, file, current);
  } finally {
    source.destroy();
    extract.destroy();
  }
}

/** The entry body, with stream failures met while reading it mapped like those met between entries. */
async function* mapFailures(body: AsyncIterable<Uint8Array>, mapped: (error: unknown) => Error): AsyncGenerator<Uint8Array> {
  const pieces = body[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await pieces.next();
    } catch (error) {
      throw mapped(error);
    }
    if (next.done) return;
    yield next.value;
  }
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _piece of body) {
    // Discard: the entry's bytes must be read for the tar stream to move on.
  }
}

/** Reads an entry body whole, refusing more than `maxBytes` (the manifest). */
export async function readSmallBody(archive: string, entry: AdmittedEntry, body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  if (entry.size > maxBytes) refuseEntry(archive, entry.name, 'manifest-invalid', `entry of ${entry.size} bytes exceeds ${maxBytes}`);
  const pieces: Uint8Array[] = [];
  for await (const piece of body) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** tar-stream's entry streams are typed as yielding anything; they yield Buffers, and anything else is a bug. */
async function* bytesOf(source: AsyncIterable<unknown>): AsyncIterable<Uint8Array> {
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) throw new Error('a tar entry yielded something other than bytes');
    yield piece;
  }
}
