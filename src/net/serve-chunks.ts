// POST /v1/chunks and GET /v1/chunks/<id> on the server (docs/protocol.md "Chunks"). Owns reading the id list
// (bounded: the body may hold chunkIdsPerRequestMax ids, nothing more is kept) and the chunk stream's framing.
// Every chunk goes out as its record is stored (compressed when the log compressed it), its frame checksum checked;
// the client inflates it and checks it against its id. A few chunks in memory at a time (two groups of them); each
// write waits for the socket.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '../errors.js';
import { contentIdFromHex, type ContentIdBytes } from '../record/index.js';
import { CONTENT_ID_BYTES, type ChunkRecordResult, type StoreApi } from '../store/index.js';
import type { ChunkRecordSource } from './shared-chunk-reads.js';
import { NET_LIMITS } from '../util/limits.js';
import { errorBodyOf, gone, HttpRefusal, writeAll, writeTracked } from './http-reply.js';
import { readRequestBody } from './request-body.js';
import { CHUNK_MESSAGES, CHUNK_STREAM_MAGIC, CONTENT_TYPES, encodeChunkFoundHead, encodeErrorMessage } from './protocol.js';

const BODY_BYTES_MAX = NET_LIMITS.chunkIdsPerRequestMax * CONTENT_ID_BYTES;
/** Chunk records read together (Store.readChunkRecords: a run of neighbours in the log is one pread). */
const SERVE_GROUP_IDS = 16;
/** Groups read ahead of the one being sent (memory: at most this many groups beside it). */
const SERVE_GROUPS_AHEAD = 1;
/**
 * Messages are gathered into writes of about this many bytes. Why: each write is a chunk of the HTTP body's chunked
 * encoding, and a 6-byte head written apart from its record made two of them per chunk; the client's parser and
 * stream paid per piece (socketOnData and Readable.push: ~1 s of a 60 MB catch-up's client main thread).
 */
const SERVE_WRITE_BYTES = 256 * 1024;
/**
 * A message's last piece of at least this many bytes (a chunk's payload) is written from its own memory after the
 * gathered bytes before it, not copied into them: copying every chunk into a gather buffer was ~0.2 CPU-s of serve's
 * 2.5 with 20 followers (the socket copies it once more anyway), and a piece this large is few pieces per MB.
 */
const DIRECT_WRITE_BYTES = 16 * 1024;

/**
 * Gather buffers no answer is using, for the next answers. Why: a follower tailing a live writer asks for a few chunks
 * at a time, and each answer allocating its own 256 KiB buffer was hundreds of MB of garbage per 20 followers.
 * Memory: at most IDLE_GATHER_BUFFERS_MAX idle buffers for the whole server.
 */
const idleGatherBuffers: Buffer[] = [];
const IDLE_GATHER_BUFFERS_MAX = 8;

/**
 * Messages of one answer gathered into writes of up to SERVE_WRITE_BYTES, copied into two buffers used in turn; a
 * message larger than that goes alone. A buffer is filled again only once the socket has written it out. Why reused
 * buffers: a new 256 KiB buffer per write (Buffer.concat) was most of serve's garbage with 20 followers, and its
 * collection a good part of serve's CPU. Memory: two buffers per answer being sent.
 */
class GatheredWrites {
  /** Made when first needed: a small answer fills one, only a large one uses both. */
  private readonly buffers: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];
  private readonly written: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  private turn: 0 | 1 = 0;
  private used = 0;

  constructor(private readonly res: ServerResponse) {}

  async add(...pieces: Uint8Array[]): Promise<void> {
    const last = pieces[pieces.length - 1];
    if (pieces.length > 1 && last && last.length >= DIRECT_WRITE_BYTES) {
      await this.add(...pieces.slice(0, -1));
      await this.flush();
      await writeAll(this.res, last);
      return;
    }
    let bytes = 0;
    for (const piece of pieces) bytes += piece.length;
    if (this.used + bytes > SERVE_WRITE_BYTES) await this.flush();
    if (bytes > SERVE_WRITE_BYTES) {
      for (const piece of pieces) await writeAll(this.res, piece);
      return;
    }
    // This buffer's previous write must be out before its bytes are overwritten.
    if (this.used === 0) await this.written[this.turn];
    const buffer = (this.buffers[this.turn] ??= idleGatherBuffers.pop() ?? Buffer.allocUnsafeSlow(SERVE_WRITE_BYTES));
    for (const piece of pieces) {
      buffer.set(piece, this.used);
      this.used += piece.length;
    }
  }

  /** Once the answer is over: its buffers go back to the idle ones when the socket has written them out (or closed). */
  async release(): Promise<void> {
    await Promise.all(this.written);
    for (const buffer of this.buffers) if (buffer && idleGatherBuffers.length < IDLE_GATHER_BUFFERS_MAX) idleGatherBuffers.push(buffer);
    this.buffers[0] = this.buffers[1] = undefined;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const { accepted, written } = writeTracked(this.res, this.buffers[this.turn]!.subarray(0, this.used));
    this.written[this.turn] = written;
    this.turn = this.turn === 0 ? 1 : 0;
    this.used = 0;
    await accepted;
  }
}

/** Reads the POST body: 1..chunkIdsPerRequestMax ids; refuses (413) as soon as it grows past that. */
export async function readChunkIds(req: IncomingMessage): Promise<ContentIdBytes[]> {
  const body = await readRequestBody(req, BODY_BYTES_MAX, () => new HttpRefusal(413, 'SYNCLOG_LIMIT', `at most ${NET_LIMITS.chunkIdsPerRequestMax} chunk ids (${BODY_BYTES_MAX} bytes) per request`));
  const size = body.length;
  if (size === 0 || size % CONTENT_ID_BYTES !== 0) throw new HttpRefusal(400, 'SYNCLOG_USAGE', `the body must be 1 to ${NET_LIMITS.chunkIdsPerRequestMax} chunk ids of ${CONTENT_ID_BYTES} bytes`);
  const ids: ContentIdBytes[] = [];
  for (let at = 0; at < size; at += CONTENT_ID_BYTES) ids.push(new Uint8Array(body.subarray(at, at + CONTENT_ID_BYTES)));
  return ids;
}

export async function streamChunks(source: ChunkRecordSource, ids: readonly ContentIdBytes[], res: ServerResponse, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, { ...headers, 'content-type': CONTENT_TYPES.chunks });
  await writeAll(res, CHUNK_STREAM_MAGIC);
  // Read in groups (chunks next to each other in the log: one pread per run of them), the next group while this one
  // is sent: one read at a time, each read's thread-pool round trip (and the wake-ups around it) left the socket
  // idle, 2.3 s of a 2,000-file catch-up's server time; one pread per chunk was still 2 round trips per chunk.
  const groups: Promise<ChunkRecordResult[]>[] = [];
  const readGroup = (group: number) => {
    if (groups[group] || group * SERVE_GROUP_IDS >= ids.length) return;
    const read = source.readChunkRecords(ids.slice(group * SERVE_GROUP_IDS, (group + 1) * SERVE_GROUP_IDS));
    read.catch(() => {}); // awaited below in order, or dropped when the client went away
    groups[group] = read;
  };
  const out = new GatheredWrites(res);
  try {
    await sendGroups(ids, groups, readGroup, out, res);
  } finally {
    void out.release();
  }
}

/** The answer's messages, group by group, then its end message. */
async function sendGroups(ids: readonly ContentIdBytes[], groups: Promise<ChunkRecordResult[]>[], readGroup: (group: number) => void, out: GatheredWrites, res: ServerResponse): Promise<void> {
  for (let group = 0; group * SERVE_GROUP_IDS < ids.length; group++) {
    for (let ahead = 0; ahead <= SERVE_GROUPS_AHEAD; ahead++) readGroup(group + ahead);
    let records: ChunkRecordResult[];
    try {
      records = await groups[group]!;
      delete groups[group];
    } catch (error) {
      records = [{ error }];
    }
    for (const record of records) {
      if ('error' in record) {
        if (record.error instanceof NotFoundError) {
          await out.add(Uint8Array.of(CHUNK_MESSAGES.missing));
          continue;
        }
        await out.add(encodeErrorMessage(errorBodyOf(record.error)));
        await out.flush();
        res.end();
        return;
      }
      await out.add(encodeChunkFoundHead(record.tag, record.payload.length), record.payload);
      if (gone(res)) return;
    }
  }
  await out.add(Uint8Array.of(CHUNK_MESSAGES.end));
  await out.flush();
  res.end();
}

/** GET /v1/chunks/<hex>: one chunk's bytes. */
export async function sendOneChunk(store: StoreApi, hex: string, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new HttpRefusal(400, 'SYNCLOG_USAGE', 'a chunk id is 64 lowercase hex digits');
  const data = await store.readChunk(contentIdFromHex(hex));
  res.writeHead(200, { ...headers, 'content-type': CONTENT_TYPES.bytes, 'content-length': String(data.length) });
  res.end(data);
}
