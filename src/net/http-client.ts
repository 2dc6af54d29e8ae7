// The client's HTTP(S) requests to one server (docs/protocol.md): the base URL, the bearer token, a CA for a
// self-signed server, keep-alive connections, and turning any answer other than 200 into the typed error it names.
// Owns the log-identity check on every answer. Never retries (remote-log.ts decides) and never puts the token into
// an error or a message.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AuthError, deserializeError, NetError, UsageError } from '../errors.js';
import { NET_LIMITS } from '../util/limits.js';
import { HEADERS, PROTOCOL_VERSION, type ErrorBody } from './protocol.js';

export interface TransportOptions {
  /** A bearer token (never logged). */
  token?: string;
  /** PEM CA certificate(s) to trust (a self-signed server). */
  ca?: Buffer;
}

/** True for failures worth another attempt: the server is away or restarting, or a stream was cut. */
export function isRetryable(error: unknown): boolean {
  return error instanceof NetError && error.details.retryable === true;
}

export function parseServerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(text)}`, { fix: 'give the server as http://HOST:PORT/ or https://HOST:PORT/' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${url.protocol} is not http: or https:`, { fix: 'give the server as http://HOST:PORT/ or https://HOST:PORT/' });
  if (url.username || url.password) throw new UsageError('a server URL must not carry credentials', { fix: 'put the token in --token-file or $SYNCLOG_TOKEN' });
  if (url.search || url.hash) throw new UsageError('a server URL has no query or fragment', {});
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

async function readBounded(res: IncomingMessage, bytesMax: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of res as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > bytesMax) {
      res.destroy();
      break;
    }
    parts.push(part);
  }
  return Buffer.concat(parts);
}

export class HttpTransport {
  readonly base: URL;
  private readonly agent: HttpAgent;
  private logId: string | undefined;

  constructor(
    baseUrl: string,
    private readonly options: TransportOptions = {},
  ) {
    this.base = parseServerUrl(baseUrl);
    const agentOptions = { keepAlive: true, maxSockets: 8 };
    this.agent = this.base.protocol === 'https:' ? new HttpsAgent({ ...agentOptions, ca: options.ca }) : new HttpAgent(agentOptions);
  }

  /** The URL without credentials, for messages. */
  get display(): string {
    return this.base.href;
  }

  /** From now on an answer about another log is refused (NetError reason 'log-identity-changed'). */
  expectLogId(logId: string): void {
    this.logId = logId;
  }

  /**
   * Sends a request; resolves with a 200 answer (its body unread), or rejects with the error the server named.
   * `body` may come in pieces (a push upload is sent without joining them); `protocol` is the version the answer
   * must carry (push answers carry 2: docs/protocol.md "Versions").
   */
  request(method: 'GET' | 'POST', path: string, body?: Uint8Array | readonly Uint8Array[], signal?: AbortSignal, protocol: number = PROTOCOL_VERSION): Promise<IncomingMessage> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const pieces = body === undefined ? [] : body instanceof Uint8Array ? [body] : body;
    if (body) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = String(pieces.reduce((sum, piece) => sum + piece.length, 0));
    }
    const send = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method, agent: this.agent, headers, signal }, (res) => {
        this.accept(res, protocol).then(resolve, reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (signal?.aborted) reject(new NetError(`request to ${this.display} aborted`, { url: this.display, reason: 'aborted' }));
        else reject(this.unreachable(error));
      });
      for (const piece of pieces) req.write(piece);
      req.end();
    });
  }

  private unreachable(error: NodeJS.ErrnoException): NetError {
    const tlsProblem = /certificate|self.signed|CERT|SSL/i.test(`${error.code ?? ''} ${error.message}`);
    if (tlsProblem) {
      return new NetError(`cannot verify the TLS certificate of ${this.display}: ${error.message}`, {
        url: this.display,
        reason: 'tls',
        fix: 'for a self-signed server, pass its certificate with --ca FILE',
      }, { cause: error });
    }
    return new NetError(`server ${this.display} is not reachable (${error.code ?? error.message})`, { url: this.display, reason: 'unreachable', errno: error.code, retryable: true }, { cause: error });
  }

  private async accept(res: IncomingMessage, protocol: number): Promise<IncomingMessage> {
    const status = res.statusCode ?? 0;
    if (status !== 200) throw await this.refusal(res, status);
    if (res.headers[HEADERS.protocol] !== String(protocol)) {
      res.destroy();
      throw new NetError(`${this.display} does not speak synclog protocol ${protocol}`, { url: this.display, reason: 'protocol-mismatch', found: res.headers[HEADERS.protocol] });
    }
    const logId = res.headers[HEADERS.logId];
    if (this.logId !== undefined && logId !== this.logId) {
      res.destroy();
      throw new NetError(`${this.display} now serves another log (${String(logId)}, not ${this.logId}): refusing to mix them`, {
        url: this.display,
        reason: 'log-identity-changed',
        expected: this.logId,
        found: logId,
        fix: 'receive into another --out (this destination belongs to the other log)',
      });
    }
    return res;
  }

  private async refusal(res: IncomingMessage, status: number): Promise<Error> {
    const text = (await readBounded(res, NET_LIMITS.errorBodyBytesMax).catch(() => Buffer.alloc(0))).toString('utf8');
    let body: Partial<ErrorBody> = {};
    try {
      body = JSON.parse(text) as Partial<ErrorBody>;
    } catch {
      // Not ours (a proxy's page): the status says enough.
    }
    const message = typeof body.message === 'string' ? body.message : `HTTP ${status}`;
    const where = { url: this.display, status, code: body.code };
    if (status === 401 || status === 403) {
      return new AuthError(`${this.display} refused the request: ${message}`, { ...where, fix: status === 401 ? 'give a token with --token-file or $SYNCLOG_TOKEN' : 'use a token with the scope the server names' });
    }
    if (status === 502 || status === 503 || status === 504) return new NetError(`server ${this.display} is unavailable: ${message}`, { ...where, retryable: true });
    if (typeof body.name === 'string' && body.details && typeof body.details === 'object') {
      return deserializeError({ name: body.name, message, details: body.details });
    }
    if (body.code === 'SYNCLOG_USAGE') return new UsageError(`${this.display} refused the request: ${message}`, where);
    return new NetError(`${this.display} refused the request: ${message}`, where);
  }

  close(): void {
    this.agent.destroy();
  }
}
