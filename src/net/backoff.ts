// Retry delays while a server is away (docs/protocol.md "Clients"): exponential with full jitter (AWS's
// "Exponential Backoff and Jitter"), so many followers of a restarted server do not come back in one wave.
import { NET_LIMITS } from '../util/limits.js';

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly firstMs: number = NET_LIMITS.retryDelayMsFirst,
    private readonly maxMs: number = NET_LIMITS.retryDelayMsMax,
    private readonly random: () => number = Math.random,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  /** The next delay: uniform in [0, min(max, first·2^attempt)], at least 10 ms. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(10, Math.round(this.random() * ceiling));
  }

  /** A request went through: the next outage starts from the first delay again. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Sleeps `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** How a client rides out an outage: told before each pause, and when to give up. */
export interface OutageOptions {
  /** Told before each retry while the server is away (the CLI prints it). */
  onRetry?: (error: Error, delayMs: number, attempt: number) => void;
  /** Stop retrying once the server has been away this long (default: never; a follower waits it out). */
  giveUpAfterMs?: number;
  /** Overrides of the backoff's first and largest delay (the pusher's cap is a minute; tests use less). */
  retryDelayMsFirst?: number;
  retryDelayMsMax?: number;
}

/** What a failed attempt means: the error to report, and whether it is an outage that may pass (retried). */
export type ErrorClassifier = (raw: unknown) => { error: Error; passing: boolean };

/**
 * One outage as a loop lives through it: backoff delays from the first again after each success (`over()`), and
 * the time it started, so the loop gives up `giveUpAfterMs` after the server went away, not after the last retry.
 * The HTTP client (RemoteLog), the pusher, and the JetStream reader and publisher all pause through this.
 */
export class Outage {
  private readonly backoff: Backoff;
  private awaySince: number | undefined;

  constructor(private readonly options: OutageOptions) {
    this.backoff = new Backoff(options.retryDelayMsFirst, options.retryDelayMsMax);
  }

  /** True between the first failed attempt and the next success. */
  get away(): boolean {
    return this.awaySince !== undefined;
  }

  /** A request went through: the next outage starts afresh. Returns how long the server was away, if it was. */
  over(): number | undefined {
    const awayMs = this.awaySince === undefined ? undefined : Date.now() - this.awaySince;
    this.backoff.reset();
    this.awaySince = undefined;
    return awayMs;
  }

  /** Pauses before the next attempt (or less if `signal` aborts); throws `error` once the outage has lasted too long. */
  async pause(error: Error, signal?: AbortSignal): Promise<void> {
    this.awaySince ??= Date.now();
    const giveUp = this.options.giveUpAfterMs;
    if (giveUp !== undefined && Date.now() - this.awaySince >= giveUp) throw error;
    const delayMs = this.backoff.next();
    this.options.onRetry?.(error, delayMs, this.backoff.attempts);
    await sleep(delayMs, signal);
  }
}

/** Runs `attempt` until it succeeds or fails for good (`classify` says which), pausing while the outage lasts. */
export async function retrying<T>(attempt: () => Promise<T>, classify: ErrorClassifier, options: OutageOptions, signal?: AbortSignal): Promise<T> {
  const outage = new Outage(options);
  for (;;) {
    try {
      return await attempt();
    } catch (raw) {
      const { error, passing } = classify(raw);
      if (!passing || signal?.aborted) throw error;
      await outage.pause(error, signal);
    }
  }
}
