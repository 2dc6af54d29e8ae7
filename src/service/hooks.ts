// Hooks (docs/config.md "Hooks"): per event, run a program (exec) or POST a signed JSON body (webhook). Each hook
// has its own bounded queue and one worker, so events reach it in order and one slow hook never holds up another.
// Invariant: recording never waits for a hook. `offer()` is synchronous and never blocks: past SERVICE_LIMITS
// .hookQueueMax waiting events, a new one is dropped and counted; a run past its timeout is killed (exec) or
// abandoned (webhook). Never builds a shell command: the program and its arguments are an argv array and the
// event travels as data (stdin JSON, environment variables, the request body).
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import ignore, { type Ignore } from 'ignore';
import { UsageError } from '../errors.js';
import { readSmallFile } from '../util/small-file.js';
import { Backoff, sleep } from '../net/index.js';
import { SERVICE_LIMITS } from '../util/limits.js';
import type { HookConfig } from './config.js';
import { eventEnvironment, eventPath, type HookEvent } from './hook-event.js';

/** The header a webhook's signature travels in: `sha256=` and the hex HMAC-SHA256 of the exact body bytes. */
export const SIGNATURE_HEADER = 'x-synclog-signature';

export interface HookCounters {
  name: string;
  kind: 'exec' | 'webhook';
  /** Events waiting (the one running included). */
  queued: number;
  delivered: number;
  failed: number;
  /** Events never run: the queue was full, or the service stopped before their turn. */
  dropped: number;
  lastError: string | undefined;
  lastErrorMs: number | undefined;
}

export interface HookReports {
  /** A run failed for good (exit status, timeout, HTTP status after the retries). */
  failed(hook: string, event: HookEvent, reason: string): void;
  /** The queue just filled up: said once per episode (the counter keeps the total). */
  full(hook: string, waiting: number): void;
}

/** `sha256=<hex>`: what a receiver recomputes over the raw body with the shared secret and compares. */
export function signBody(secret: Buffer, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Reads a webhook secret file: its first line, at least 16 bytes. */
export async function readSecretFile(path: string): Promise<Buffer> {
  const bytes = await readSmallFile(path, 'webhook secret file', SERVICE_LIMITS.secretFileBytesMax);
  const secret = Buffer.from(bytes.toString('utf8').split(/\r?\n/)[0] ?? '', 'utf8');
  if (secret.length < 16) throw new UsageError(`webhook secret in ${path} is shorter than 16 bytes`, { fix: 'put a long random line in it, e.g. `openssl rand -hex 32 > FILE`' });
  return secret;
}

type Deliver = (event: HookEvent, signal: AbortSignal) => Promise<void>;

/** One hook: its filter, queue and worker. */
export class Hook {
  readonly counters: HookCounters;
  private readonly queue: HookEvent[] = [];
  private readonly paths: Ignore | undefined;
  private readonly abort = new AbortController();
  private working: Promise<void> | undefined;
  private closed = false;
  private full = false;

  constructor(
    readonly config: HookConfig,
    private readonly deliver: Deliver,
    private readonly reports: HookReports,
  ) {
    this.counters = { name: config.name, kind: config.exec ? 'exec' : 'webhook', queued: 0, delivered: 0, failed: 0, dropped: 0, lastError: undefined, lastErrorMs: undefined };
    this.paths = config.paths.length > 0 ? ignore({ allowRelativePaths: true, ignorecase: false }).add(config.paths) : undefined;
  }

  /** True when this hook's kinds and path patterns select `event`. */
  wants(event: HookEvent): boolean {
    if (this.config.events.length > 0 && !this.config.events.includes(event.kind)) return false;
    if (!this.paths) return true;
    const path = eventPath(event);
    return path !== '' && this.paths.ignores(path);
  }

  /** Queues the event if wanted; never waits. False when it was dropped (queue full or closed). */
  offer(event: HookEvent): boolean {
    if (!this.wants(event)) return true;
    if (this.closed || this.queue.length >= SERVICE_LIMITS.hookQueueMax) {
      this.counters.dropped++;
      if (!this.full && !this.closed) this.reports.full(this.config.name, this.queue.length);
      this.full = true;
      return false;
    }
    this.full = false;
    this.queue.push(event);
    this.counters.queued = this.queue.length;
    this.working ??= this.work();
    return true;
  }

  /**
   * Stops taking events, lets the queue run for up to `graceMs`, then abandons the rest (killed runs and events
   * never run count as dropped). Resolves once nothing of this hook runs.
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    if (this.working) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.working, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.abort.abort();
    await this.working;
  }

  private async work(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.abort.signal.aborted) {
        this.counters.dropped += this.queue.length;
        this.queue.length = 0;
        break;
      }
      const event = this.queue[0]!;
      try {
        await this.deliver(event, this.abort.signal);
        this.counters.delivered++;
      } catch (error) {
        this.counters.failed++;
        this.counters.lastError = (error as Error).message;
        this.counters.lastErrorMs = Date.now();
        this.reports.failed(this.config.name, event, (error as Error).message);
      }
      this.queue.shift();
      this.counters.queued = this.queue.length;
    }
    this.counters.queued = 0;
    this.working = undefined;
  }
}

/** Builds the hooks of a config (reading webhook secrets now, so a missing one stops the start, not the first event). */
export async function createHooks(configs: readonly HookConfig[], reports: HookReports): Promise<Hook[]> {
  const hooks: Hook[] = [];
  for (const config of configs) {
    if (config.exec) hooks.push(new Hook(config, (event, signal) => runExec(config.exec!, event, config.timeoutMs, signal, config.cwd), reports));
    else {
      const secret = await readSecretFile(config.secretFile!);
      hooks.push(new Hook(config, (event, signal) => postWebhook(config, secret, event, signal), reports));
    }
  }
  return hooks;
}

/**
 * Runs one exec hook: argv[0] with argv[1..] (no shell), the event JSON on stdin and as environment variables. The
 * hook runs in its own process group so a timeout kills whatever it started too. Resolves on exit 0.
 */
export function runExec(argv: readonly string[], event: HookEvent, timeoutMs: number, signal: AbortSignal, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      cwd,
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, ...eventEnvironment(event) },
    });
    let stderr = '';
    let killedFor: string | undefined;
    const kill = (why: string) => {
      killedFor ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => kill('the service stopped');
    signal.addEventListener('abort', onAbort, { once: true });
    child.stderr.on('data', (data: Buffer) => {
      if (stderr.length < SERVICE_LIMITS.hookStderrBytesMax) stderr += data.toString('utf8').slice(0, SERVICE_LIMITS.hookStderrBytesMax - stderr.length);
    });
    child.stdin.on('error', () => {}); // a hook that does not read its stdin is fine
    child.stdin.end(`${JSON.stringify(event)}\n`);
    const settle = (error: Error | undefined) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // A grandchild may keep stderr open: the hook is over when its own process exits.
      child.stderr.destroy();
      if (error) reject(error);
      else resolve();
    };
    child.on('error', (error) => settle(new Error(`cannot run ${argv[0]}: ${error.message}`)));
    child.on('exit', (code, sig) => {
      if (killedFor) return settle(new Error(`${argv[0]} ${killedFor}`));
      if (code === 0) return settle(undefined);
      const tail = stderr.trim().split('\n').pop();
      settle(new Error(`${argv[0]} exited with ${code === null ? `signal ${sig}` : `status ${code}`}${tail ? `: ${tail}` : ''}`));
    });
  });
}

/** A status worth another attempt: the server is away or busy; anything else 4xx is final. */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** POSTs the event JSON, signed, retrying with backoff; resolves on a 2xx answer. */
export async function postWebhook(config: HookConfig, secret: Buffer, event: HookEvent, signal: AbortSignal): Promise<void> {
  const body = Buffer.from(JSON.stringify(event), 'utf8');
  const delivery = randomUUID();
  const backoff = new Backoff(SERVICE_LIMITS.webhookRetryDelayMsFirst, SERVICE_LIMITS.webhookRetryDelayMsMax);
  let lastProblem = '';
  for (let attempt = 0; attempt <= config.retries; attempt++) {
    if (attempt > 0) await sleep(backoff.next(), signal);
    if (signal.aborted) break;
    try {
      const response = await fetch(config.url!, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-synclog-event': event.kind, 'x-synclog-delivery': delivery, [SIGNATURE_HEADER]: signBody(secret, body) },
        signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
        redirect: 'error',
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return;
      lastProblem = `HTTP ${response.status}`;
      if (!retryable(response.status)) break;
    } catch (error) {
      lastProblem = (error as Error).name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
    }
  }
  throw new Error(`${config.url} failed: ${signal.aborted ? 'the service stopped' : lastProblem}`);
}
