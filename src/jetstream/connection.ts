// A connection to a NATS server (or cluster) with JetStream, for the publisher and the readers of a stream. Owns
// parsing `nats://` addresses, the credentials (a token, or a NATS .creds file), the first connect (retried with
// backoff while no server answers; wrong credentials are an AuthError at once) and telling a passing outage (a
// server restarting, a leader election) from a lasting refusal. Never prints or echoes a credential.
import { connect, credsAuthenticator, NatsError, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { AuthError, NetError, UsageError } from '../errors.js';
import { retrying, type ErrorClassifier, type OutageOptions } from '../net/index.js';

/** `onRetry`: told before each retry while no server answers or the stream is away; `giveUpAfterMs`: stop then. */
export interface JetStreamConnectOptions extends OutageOptions {
  /** A NATS token (the server's `authorization { token }`). */
  token?: string;
  /** The bytes of a NATS credentials file (JWT and nkey seed), for servers run with accounts. */
  creds?: Uint8Array;
}

export interface JetStreamConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The servers as given, for messages (never with credentials: the URL may not carry any). */
  display: string;
}

/** `nats://HOST:PORT`, several separated by commas (a cluster's seed servers). */
export function parseNatsServers(text: string): string[] {
  const servers = text.split(',').map((part) => part.trim());
  const fix = 'give the servers as nats://HOST:PORT (several: nats://a:4222,nats://b:4222)';
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UsageError(`not a NATS URL: ${JSON.stringify(server)}`, { fix });
    }
    if (url.protocol !== 'nats:') throw new UsageError(`${url.protocol} is not nats:`, { fix });
    if (url.username || url.password) throw new UsageError('a NATS URL must not carry credentials', { fix: 'put a token in --token-file or $SYNCLOG_NATS_TOKEN, or give --creds FILE' });
    if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) throw new UsageError(`a NATS URL has no path, query or fragment: ${JSON.stringify(server)}`, { fix });
    if (url.port === '') throw new UsageError(`a NATS URL needs its port: ${JSON.stringify(server)}`, { fix });
  }
  return servers;
}

/** True for an address given as nats://… (the CLI's --from and --to choose the transport by it). */
export function isNatsUrl(text: string): boolean {
  return text.startsWith('nats://');
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;
}

const PASSING_CODES = new Set(['CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'DISCONNECT', 'TIMEOUT', '503', '408', 'IDLE_HEARTBEAT', 'REQUEST_ERROR']);
const AUTH_CODES = new Set(['AUTHORIZATION_VIOLATION', 'AUTHENTICATION_EXPIRED', 'AUTHENTICATION_TIMEOUT', 'BAD_AUTHENTICATION', 'BAD_CREDS', 'PERMISSIONS_VIOLATION', 'ACCOUNT_EXPIRED']);

/**
 * A NATS client error as synclog's: an outage that may pass (no server, a restart, a JetStream leader election: the
 * stream's API answers 503 or not at all) is a NetError marked retryable; wrong credentials an AuthError; a
 * SynclogError passes unchanged.
 */
export function netErrorOf(error: unknown, display: string, op: string): Error {
  if (!(error instanceof NatsError)) return error instanceof Error ? error : new Error(String(error));
  const code = codeOf(error);
  const api = error.api_error;
  if (code && AUTH_CODES.has(code)) return new AuthError(`${display} refused the credentials (${op}): ${error.message}`, { url: display, reason: code }, { cause: error });
  const retryable = code !== undefined && PASSING_CODES.has(code) && (api === undefined || api.code === 503);
  return new NetError(`${display}: ${op} failed: ${error.message}`, { url: display, reason: code ?? 'nats', retryable, apiCode: api?.err_code }, { cause: error });
}

export function isPassing(error: unknown): boolean {
  return error instanceof NetError && error.details.retryable === true;
}

/** A NATS client error as synclog's (netErrorOf), retried while it is an outage that may pass. */
export function natsClassifier(display: string, op: string): ErrorClassifier {
  return (raw) => {
    const error = netErrorOf(raw, display, op);
    return { error, passing: isPassing(error) };
  };
}

/** Runs `attempt` until it succeeds or fails for good, pausing (backoff) while the outage lasts. */
export function retryingNats<T>(display: string, op: string, options: JetStreamConnectOptions, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  return retrying(attempt, natsClassifier(display, op), options, signal);
}

/**
 * Connects (retrying while no server answers). After that the client reconnects by itself, forever: a restarted
 * server or a failed-over cluster node is waited out by the reads and publishes (their own retries).
 */
export async function connectJetStream(serversText: string, options: JetStreamConnectOptions = {}, signal?: AbortSignal): Promise<JetStreamConnection> {
  const servers = parseNatsServers(serversText);
  const display = servers.join(',');
  const connectOptions: ConnectionOptions = {
    servers,
    name: 'synclog',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5_000,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.creds !== undefined ? { authenticator: credsAuthenticator(options.creds) } : {}),
  };
  const nc = await retryingNats(display, 'connect', options, signal, () => connect(connectOptions));
  try {
    const jsm = await retryingNats(display, 'reach JetStream', options, signal, () => nc.jetstreamManager());
    return { nc, js: nc.jetstream(), jsm, display };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
