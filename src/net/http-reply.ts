// Writing answers on the server side: JSON and error bodies (docs/protocol.md "Errors") and writes that respect
// back-pressure. Owns the error → status mapping. Never buffers without limit: `writeAll` resolves only when the
// socket has taken the bytes (or the connection is gone), so a slow follower holds the reader back instead.
import type { ServerResponse } from 'node:http';
import { SynclogError, ERROR_CODES } from '../errors.js';
import { CONTENT_TYPES, HEADERS, PROTOCOL_VERSION, type ErrorBody } from './protocol.js';

/** A request refused with a status (400, 401, 403, 404, 405, 413, 414): the message says why, never with a token. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBodyOf(error: unknown): ErrorBody {
  if (error instanceof HttpRefusal) return { code: error.code, message: error.message };
  if (error instanceof SynclogError) return { code: error.code, message: error.message, name: error.name, details: { ...error.details } };
  // Not a known kind: a bug or an OS surprise. The client gets no internals.
  return { code: ERROR_CODES.io, message: 'internal server error' };
}

export function statusOf(error: unknown): number {
  if (error instanceof HttpRefusal) return error.status;
  if (!(error instanceof SynclogError)) return 500;
  switch (error.code) {
    case ERROR_CODES.usage:
      return 400;
    case ERROR_CODES.limit:
      return 413;
    case ERROR_CODES.notFound:
      return 404;
    case ERROR_CODES.auth:
      return 401;
    case ERROR_CODES.net:
      return 503;
    default:
      return 500;
  }
}

export function baseHeaders(logId?: string): Record<string, string> {
  const headers: Record<string, string> = { [HEADERS.protocol]: String(PROTOCOL_VERSION), 'cache-control': 'no-store' };
  if (logId) headers[HEADERS.logId] = logId;
  return headers;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'content-type': CONTENT_TYPES.json, 'content-length': String(bytes.length) });
  res.end(bytes);
}

export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusOf(error);
  const extra: Record<string, string> = status === 401 ? { 'www-authenticate': 'Bearer realm="synclog"' } : {};
  // A body beyond its limit is drained, not read (src/net/request-body.ts): the connection is not worth keeping.
  if (status === 413) extra.connection = 'close';
  sendJson(res, status, errorBodyOf(error), { ...headers, ...extra });
}

/** Writes `bytes`; resolves once the socket has taken them (after 'drain' when it was full) or the response closed. */
export function writeAll(res: ServerResponse, bytes: Uint8Array): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  if (res.write(bytes)) return Promise.resolve();
  return drained(res);
}

/** Resolves on the response's next 'drain' (its buffer emptied) or 'close' (the client went away). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * writeAll that also says when the socket has written `bytes` out (`written`: the write's callback, or the response
 * closed), after which the caller may fill that memory again; `accepted` is writeAll's back-pressure.
 */
export function writeTracked(res: ServerResponse, bytes: Uint8Array): { accepted: Promise<void>; written: Promise<void> } {
  if (res.destroyed || res.writableEnded) return { accepted: Promise.resolve(), written: Promise.resolve() };
  let wrote!: () => void;
  const written = new Promise<void>((resolve) => (wrote = resolve));
  const closed = () => wrote();
  res.once('close', closed);
  const taken = res.write(bytes, () => {
    res.off('close', closed);
    wrote();
  });
  return { accepted: taken ? Promise.resolve() : drained(res), written };
}

/** True once the client has gone (or the response ended): a stream stops reading the log. */
export function gone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}
