// GET /v1/records on the server (docs/protocol.md "GET /v1/records"): the log's own frames from a seq, read through
// the log's reader (verified, durable, whole atomic groups only), optionally following the log for a bounded idle
// time. Owns parsing the request's parameters and the stream's framing. Never buffers more than one frame: each
// write waits for the socket (writeAll), and the log is read only as fast as the follower takes it.
import type { ServerResponse } from 'node:http';
import type { Log } from '../log/index.js';
import { parseSegmentFileName } from '../log/index.js';
import { assert } from '../util/assert.js';
import { NET_LIMITS } from '../util/limits.js';
import { errorBodyOf, gone, HttpRefusal, writeAll } from './http-reply.js';
import type { ReadDeltas } from './serve-deltas.js';
import {
  CONTENT_TYPES,
  encodeEndMessage,
  encodeErrorMessage,
  encodeRecordHead,
  encodeSegmentMessage,
  END_REASONS,
  parseSeq,
  RECORD_STREAM_MAGIC,
  type EndReason,
} from './protocol.js';

/** What the server's record streams have done (LogServer.stats). */
export interface RecordStreamStats {
  /** Records the sockets have taken (a write counts once the socket accepted it, after 'drain' if it was full). */
  recordsSent: number;
  streamsOpen: number;
}

export interface RecordsRequest {
  fromSeq: number;
  waitMs: number;
  limit: number;
  tags: number[] | undefined;
  /** `delta=1` (protocol 4): a version record may travel as a delta against an earlier version (serve-deltas.ts). */
  delta: boolean;
}

const PARAMS = new Set(['from', 'wait', 'limit', 'tags', 'delta']);

function bad(message: string): HttpRefusal {
  return new HttpRefusal(400, 'SYNCLOG_USAGE', message);
}

function boundedInt(name: string, text: string | null, fallback: number, max: number): number {
  if (text === null) return fallback;
  const value = parseSeq(text);
  if (value === undefined) throw bad(`${name} must be a non-negative decimal integer`);
  if (value > max) throw new HttpRefusal(400, 'SYNCLOG_LIMIT', `${name} ${value} is above the limit ${max}`);
  return value;
}

/** The request's parameters, checked: an unknown, repeated or out-of-range one is a 400. */
export function parseRecordsRequest(params: URLSearchParams): RecordsRequest {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (!PARAMS.has(name)) throw bad(`unknown parameter ${JSON.stringify(name.slice(0, 64))}`);
    if (seen.has(name)) throw bad(`parameter ${name} given twice`);
    seen.add(name);
  }
  const fromText = params.get('from');
  if (fromText === null) throw bad('from is required');
  const fromSeq = parseSeq(fromText);
  if (fromSeq === undefined) throw bad('from must be a seq: a non-negative decimal integer below 2^53');
  const waitMs = boundedInt('wait', params.get('wait'), 0, NET_LIMITS.recordWaitMsMax);
  const limit = boundedInt('limit', params.get('limit'), NET_LIMITS.recordsPerResponseMax, NET_LIMITS.recordsPerResponseMax);
  if (limit < 1) throw bad('limit must be at least 1');
  const tagsText = params.get('tags');
  let tags: number[] | undefined;
  if (tagsText !== null) {
    const parts = tagsText.split(',');
    if (parts.length > 256) throw new HttpRefusal(400, 'SYNCLOG_LIMIT', 'at most 256 tags');
    tags = parts.map((part) => {
      const tag = parseSeq(part);
      if (tag === undefined || tag > 255) throw bad('tags must be decimal numbers 0..255, comma separated');
      return tag;
    });
  }
  const deltaText = params.get('delta');
  if (deltaText !== null && deltaText !== '1') throw bad('delta must be 1 (or left out)');
  return { fromSeq, waitMs, limit, tags, delta: deltaText === '1' };
}

/**
 * Streams records to `res` (headers already checked and written by the caller's route). Resolves when the stream
 * is finished or the client has gone. With `request.delta`, `deltas` may send a version record as a delta message.
 */
export async function streamRecords(log: Log, request: RecordsRequest, res: ServerResponse, headers: Record<string, string>, stats: RecordStreamStats, deltas?: ReadDeltas): Promise<void> {
  res.writeHead(200, { ...headers, 'content-type': CONTENT_TYPES.records });
  stats.streamsOpen++;
  const abort = new AbortController();
  const onClose = () => abort.abort();
  res.on('close', onClose);
  const follow = request.waitMs > 0;
  let waited = false;
  let idle: NodeJS.Timeout | undefined;
  // The idle clock runs only while the server waits for the log, never while it waits for a slow client.
  const armIdle = () => {
    if (!follow) return;
    idle = setTimeout(() => {
      waited = true;
      abort.abort();
    }, request.waitMs);
  };
  const disarmIdle = () => clearTimeout(idle);
  let nextSeq = request.fromSeq;
  let segment: string | undefined;
  let count = 0;
  let bytes = 0;
  let reason: EndReason = END_REASONS.caughtUp;
  try {
    await writeAll(res, RECORD_STREAM_MAGIC);
    armIdle();
    for await (const entry of log.read({ fromSeq: request.fromSeq, tags: request.tags, follow, signal: abort.signal, withFrames: true })) {
      disarmIdle();
      assert(entry.frame !== undefined && entry.salt !== undefined, 'withFrames entries carry their frame');
      if (entry.segment !== segment) {
        await writeAll(res, encodeSegmentMessage(parseSegmentFileName(entry.segment)!, entry.salt));
        segment = entry.segment;
      }
      const delta = request.delta && deltas ? await deltas.messageFor(entry) : undefined;
      if (delta) {
        for (const piece of delta) await writeAll(res, piece);
      } else {
        await writeAll(res, encodeRecordHead(entry.seq, entry.offset));
        await writeAll(res, entry.frame);
      }
      if (gone(res)) return;
      stats.recordsSent++;
      nextSeq = entry.seq + 1;
      count++;
      bytes += entry.frame.length;
      if (count >= request.limit || bytes >= NET_LIMITS.responseBytesMax) {
        reason = END_REASONS.limit;
        break;
      }
      armIdle();
    }
    disarmIdle();
    if (gone(res)) return;
    if (reason !== END_REASONS.limit && waited) reason = END_REASONS.waited;
    await writeAll(res, encodeEndMessage(nextSeq, reason));
    res.end();
  } catch (error) {
    if (gone(res)) return;
    await writeAll(res, encodeErrorMessage(errorBodyOf(error)));
    res.end();
  } finally {
    disarmIdle();
    res.off('close', onClose);
    stats.streamsOpen--;
  }
}
