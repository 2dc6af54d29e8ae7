// LogServer: one log served read-only over HTTP(S) (docs/protocol.md). Owns the listening socket, its limits
// (header size, header and request timeouts, connection count), authentication and routing; the record and chunk
// streams live in serve-records.ts and serve-chunks.ts. The log is opened read-only: a watcher may be writing it in
// another process, and the server sends only what its durable watermark allows.
// Never does: log a token, answer anything but a 401/403 to a request that fails authentication, or keep a
// follower's stream open past close().
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { NetError, SynclogError, UsageError } from '../errors.js';
import { FORMAT_VERSION, Log, readLogId } from '../log/index.js';
import { openStore, type StoreApi } from '../store/index.js';
import { NET_LIMITS } from '../util/limits.js';
import { baseHeaders, HttpRefusal, sendError, sendJson } from './http-reply.js';
import { PROTOCOL_VERSION, READ_FEATURE_VERSION_DELTA, ROUTES, type LogInfo, type Scope } from './protocol.js';
import { PUSH_FEATURE_VERSION_DELTA } from './push-protocol.js';
import { PushReceiver, type PushEvent, type PushStats } from './push-server.js';
import { readChunkIds, sendOneChunk, streamChunks } from './serve-chunks.js';
import { SharedChunkReads } from './shared-chunk-reads.js';
import { ReadDeltas, type ReadDeltaStats } from './serve-deltas.js';
import { parseRecordsRequest, streamRecords, type RecordStreamStats } from './serve-records.js';
import { TokenSet } from './tokens.js';

/** How long a read of the log's identity is reused (see currentLogId). */
const LOG_ID_TTL_MS = 1000;

export interface LogServerOptions {
  logDir: string;
  host?: string;
  /** 0: an ephemeral port. */
  port?: number;
  tokens?: TokenSet;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  /**
   * Told of a failure that is not the client's doing and not a known kind (the client gets only "internal server
   * error"): for the operator (`synclog serve` prints it). Never given a token.
   */
  onError?: (error: unknown) => void;
  /** Overrides of NET_LIMITS.headersTimeoutMs / requestTimeoutMs (tests use short ones). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Take pushes (docs/protocol.md "Push"): the server opens its log as its single writer (creating it if missing). */
  acceptPush?: boolean;
  /** With acceptPush: say so when refusing a pushed forget or prune record (docs/format.md "Append-only servers"). */
  appendOnly?: boolean;
  /** With acceptPush: told after each record push. */
  onPush?: (event: PushEvent) => void;
  /**
   * Told of each request as it arrives, before it is checked (nothing about it is passed): a sync node takes a
   * request as a sign that a peer it could not reach may be up again (docs/sync.md "Notify and catch-up").
   */
  onRequest?: () => void;
}

const PUSH_PREFIX = '/v1/push/';

export class LogServer {
  /** Counters of the record streams (tests and operators: a slow follower's stream stops, it is not buffered). */
  readonly stats: RecordStreamStats & ReadDeltaStats = { recordsSent: 0, streamsOpen: 0, deltasSent: 0, deltaBytesSaved: 0 };
  /** Chunk records shared between the clients asking for the same chunks at about the same time. */
  private readonly chunkReads: SharedChunkReads;
  /** Read deltas (protocol 4); its catalog is built only when a client asks for deltas. */
  private readonly deltas: ReadDeltas;

  private constructor(
    private readonly server: Server,
    private readonly log: Log,
    private readonly store: StoreApi,
    private readonly tokens: TokenSet,
    readonly logDir: string,
    readonly tls: boolean,
    private readonly onError: ((error: unknown) => void) | undefined,
    private readonly push: PushReceiver | undefined,
  ) {
    this.chunkReads = new SharedChunkReads(store, NET_LIMITS.serveChunkRecordsKeptBytesMax);
    this.deltas = new ReadDeltas(store, this.stats);
  }

  /** What clients pushed (undefined: the server does not take pushes). */
  get pushStats(): PushStats | undefined {
    return this.push?.stats;
  }

  /** Opens the log read-only and starts listening; resolves once the socket is bound. */
  static async start(options: LogServerOptions): Promise<LogServer> {
    const logDir = resolve(options.logDir);
    // The writer first: it creates a missing log and holds its lock; the read side below reads what it made durable.
    const push = options.acceptPush ? await openPushReceiver(logDir, options.onPush, options.appendOnly === true) : undefined;
    let log: Log;
    let store: StoreApi;
    try {
      log = await Log.open(logDir, { readOnly: true });
      store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true }).catch(async (error: unknown) => {
        await log.close();
        throw error;
      });
    } catch (error) {
      await push?.close();
      throw error;
    }
    const requestTimeout = options.requestTimeoutMs ?? NET_LIMITS.requestTimeoutMs;
    const serverOptions = {
      maxHeaderSize: NET_LIMITS.headerBytesMax,
      headersTimeout: Math.min(requestTimeout, options.headersTimeoutMs ?? NET_LIMITS.headersTimeoutMs),
      requestTimeout,
      keepAliveTimeout: NET_LIMITS.keepAliveTimeoutMs,
      // How often Node looks for requests past their timeouts (its default, 30 s, would double a slow client's grace).
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
    };
    const server = options.tls ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }) : createHttpServer(serverOptions);
    server.maxConnections = NET_LIMITS.connectionsMax;
    const logServer = new LogServer(server, log, store, options.tokens ?? TokenSet.none(), logDir, options.tls !== undefined, options.onError, push);
    const onRequest = options.onRequest;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      onRequest?.();
      void logServer.handle(req, res);
    });
    // A malformed request (bad header, too large): answer what Node can and drop the connection.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      if (socket.writable) socket.end(`HTTP/1.1 ${status} Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      else socket.destroy();
    });
    try {
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          server.off('error', fail);
          done();
        });
      });
    } catch (error) {
      await store.close();
      await log.close();
      await push?.close();
      throw new NetError(`cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${(error as Error).message}`, { url: `${options.host}:${options.port}` }, { cause: error });
    }
    return logServer;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** The base URL clients use (an IPv6 host in brackets). */
  get url(): string {
    const { address, port } = this.address;
    const host = address.includes(':') ? `[${address}]` : address;
    return `${this.tls ? 'https' : 'http'}://${host}:${port}/`;
  }

  /**
   * Runs `body` on the log as its single writer, between pushes (server-side retention: `serve --retain`). Only a
   * server that takes pushes is the writer of its log; another's log belongs to whoever writes it.
   */
  asWriter<T>(body: (log: Log) => Promise<T>): Promise<T> {
    if (!this.push) return Promise.reject(new UsageError('only a server that takes pushes (acceptPush) writes its log'));
    return this.push.asWriter(body);
  }

  /** Stops listening, ends every open stream, closes the log. */
  async close(): Promise<void> {
    const closed = new Promise<void>((done) => this.server.close(() => done()));
    this.server.closeAllConnections();
    await closed;
    await this.store.close();
    await this.log.close();
    await this.push?.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let headers = baseHeaders();
    try {
      if ((req.url ?? '').length > NET_LIMITS.urlBytesMax) throw new HttpRefusal(414, 'SYNCLOG_LIMIT', `the request target is longer than ${NET_LIMITS.urlBytesMax} bytes`);
      const url = new URL(req.url ?? '/', 'http://synclog.invalid');
      // GET /v1/log (identity, and whether pushes are taken) answers either scope: a pusher must know whom it pushes to.
      const scope: Scope = url.pathname.startsWith(PUSH_PREFIX) || (url.pathname === ROUTES.log && this.push && this.tokens.check(req.headers.authorization, 'push') === 'ok') ? 'push' : 'read';
      this.authorize(req, scope);
      const logId = await this.currentLogId();
      if (!logId) throw new NetError('the log has no segment yet', { url: url.pathname, status: 503 });
      headers = baseHeaders(logId);
      await this.route(req, res, url, logId, headers);
    } catch (error) {
      req.resume(); // an unread body must not hold the connection
      if (!(error instanceof HttpRefusal) && !(error instanceof SynclogError)) this.onError?.(error);
      sendError(res, error, headers);
    }
  }

  /**
   * The log's identity, read again at most every LOG_ID_TTL_MS: reading it lists the directory and opens the first
   * segment, which per request cost a catch-up of 2,000 files ~0.26 s of the server's time in readdir alone. A log
   * replaced under a running server is noticed within that time (and clients check every frame's salt anyway).
   */
  private async currentLogId(): Promise<string | undefined> {
    const now = Date.now();
    if (this.logIdCache && now - this.logIdCache.atMs < LOG_ID_TTL_MS) return this.logIdCache.id;
    const id = await readLogId(this.logDir);
    this.logIdCache = id === undefined ? undefined : { id, atMs: now };
    return id;
  }

  private logIdCache: { id: string; atMs: number } | undefined;

  private authorize(req: IncomingMessage, scope: Scope): void {
    const verdict = this.tokens.check(req.headers.authorization, scope);
    if (verdict === 'ok') return;
    if (verdict === 'forbidden') throw new HttpRefusal(403, 'SYNCLOG_AUTH', `this token does not have the ${scope} scope`);
    throw new HttpRefusal(401, 'SYNCLOG_AUTH', verdict === 'missing' ? 'a bearer token is required' : 'unknown token');
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, logId: string, headers: Record<string, string>): Promise<void> {
    const path = url.pathname;
    if (path.startsWith(PUSH_PREFIX)) {
      if (!this.push) throw new HttpRefusal(404, 'SYNCLOG_NOT_FOUND', 'this server does not take pushes (start it with synclog serve --accept-push)');
      return this.push.handle(req, res, url, headers);
    }
    const method = req.method ?? 'GET';
    const allow = (wanted: string) => {
      if (method !== wanted) throw new HttpRefusal(405, 'SYNCLOG_USAGE', `${path} takes ${wanted}`);
    };
    if (path === ROUTES.log) {
      allow('GET');
      return sendJson(res, 200, await this.info(logId), headers);
    }
    if (path === ROUTES.records) {
      allow('GET');
      return streamRecords(this.log, parseRecordsRequest(url.searchParams), res, headers, this.stats, this.deltas);
    }
    if (path === ROUTES.chunks) {
      allow('POST');
      return streamChunks(this.chunkReads, await readChunkIds(req), res, headers);
    }
    if (path.startsWith(`${ROUTES.chunks}/`)) {
      allow('GET');
      return sendOneChunk(this.store, path.slice(ROUTES.chunks.length + 1), res, headers);
    }
    throw new HttpRefusal(404, 'SYNCLOG_NOT_FOUND', `no such resource ${JSON.stringify(path.slice(0, 128))}`);
  }

  /** Identity, head and durable seq as they are now (a fresh read-only view: a watcher may have appended). */
  private async info(logId: string): Promise<LogInfo> {
    const now = await Log.open(this.logDir, { readOnly: true });
    try {
      const segments = await now.segments();
      const last = segments[segments.length - 1];
      const nextSeq = last ? last.baseSeq + last.records : 0;
      return { protocol: PROTOCOL_VERSION, logId, formatVersion: FORMAT_VERSION, nextSeq: Math.max(nextSeq, now.nextDurableSeq), durableSeq: now.nextDurableSeq, acceptsPush: this.push !== undefined, readFeatures: [READ_FEATURE_VERSION_DELTA], ...(this.push ? { pushFeatures: [PUSH_FEATURE_VERSION_DELTA] } : {}) };
    } finally {
      await now.close();
    }
  }
}

/** The push side: the log opened as its writer (created when missing) and what it holds per origin. */
async function openPushReceiver(logDir: string, onPush: ((event: PushEvent) => void) | undefined, appendOnly: boolean): Promise<PushReceiver> {
  // The log opened here and handed to the store, so that retention can run on it inside the push lock (asWriter).
  const log = await Log.open(logDir, { create: true });
  const store = await openStore(logDir, { workers: 0, log }).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  try {
    return await PushReceiver.open(store, onPush, { appendOnly, log });
  } catch (error) {
    await store.close();
    throw error;
  }
}
