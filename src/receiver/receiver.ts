// LogReceiver: the public entry point. Opens the log read-only through the store and applies it to a destination
// with a ReceiverSession: `catchUp()` applies everything there is and resolves; `start()` catches up, then follows
// the log until `stop()`. Events report each applied change, skipped links (warnings), progress and errors.
// Never does: write to the log, or keep the destination lock after catchUp()/stop() resolve.
// Invariant: when catchUp() or stop() resolves, everything applied is durable and the cursor says so.
import { EventEmitter } from 'node:events';
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ClosedError, NotFoundError, UsageError, type SynclogError } from '../errors.js';
import { openStore, type StoreApi } from '../store/index.js';
import { RECEIVER_LIMITS } from '../util/limits.js';
import { ContentWriterPool } from './content-writer-pool.js';
import { ReceiverSession } from './receiver-session.js';
import { RECEIVER_MODES, type OpenedReceiverSource, type ReceiverEventMap, type ReceiverMode, type ReceiverOptions, type ReceiverSourceOpener, type ReceiverSummary } from './types.js';

export interface ResolvedReceiverOptions {
  logPath: string;
  outputPath: string;
  mode: ReceiverMode;
  concurrency: number;
  measureEnd: boolean;
  skipDamaged: boolean;
  source: ReceiverSourceOpener;
}

export function resolveReceiverOptions(options: ReceiverOptions & { measureEnd?: boolean }): ResolvedReceiverOptions {
  const mode = options.mode ?? 'latest';
  if (!(RECEIVER_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`unknown receiver mode ${JSON.stringify(mode)} (use ${RECEIVER_MODES.join(' or ')})`, { mode });
  }
  const concurrency = options.concurrency ?? RECEIVER_LIMITS.applyConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError('concurrency must be an integer from 1 to 256', { concurrency });
  if (!options.logPath || !options.outputPath) throw new UsageError('a receiver needs logPath and outputPath', {});
  const logPath = options.source ? options.logPath : resolve(options.logPath);
  const skipDamaged = options.skipDamaged === true;
  return { logPath, outputPath: resolve(options.outputPath), mode, concurrency, measureEnd: options.measureEnd ?? false, skipDamaged, source: options.source ?? localLogSource(logPath, skipDamaged) };
}

/** The default source: the log at `logPath`, opened read-only through the store, with content-writer threads. */
function localLogSource(logPath: string, skipDamaged: boolean): ReceiverSourceOpener {
  return {
    async open(): Promise<OpenedReceiverSource> {
      let logDir: string;
      try {
        logDir = await realpath(logPath);
      } catch {
        throw new NotFoundError(`no log at ${logPath}`, { what: 'log', id: logPath, fix: 'check --log, or start `synclog watch` (or run `synclog snapshot`) first: it creates the log' });
      }
      // The writer threads start when a catch-up has enough content to pay for them, or once caught up (a follower).
      const writers = ContentWriterPool.create(logDir);
      let store: StoreApi;
      try {
        // indexOnDemand: chunks are located from the same pass as their versions (entries trackChunks); the index is
        // built only if one is missing there (a deduplicated chunk stored long before), not on every start.
        // skipDamaged: reads go on past mid-log damage only when asked (the cursor rule, docs/receiver.md).
        store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true, skipDamaged });
      } catch (error) {
        await writers.close();
        throw error;
      }
      return { source: store, logIdentity: logDir, writers, endSeq: async () => (await store.catalog()).nextSeq, close: () => store.close() };
    },
  };
}

function stamp(error: unknown, operation: string): unknown {
  if (error && typeof error === 'object' && 'code' in error && !(error as SynclogError).operation) (error as SynclogError).operation = operation;
  return error;
}

interface Running {
  opened: OpenedReceiverSource;
  session: ReceiverSession;
}

export class LogReceiver extends EventEmitter<ReceiverEventMap> implements AsyncDisposable {
  readonly options: ResolvedReceiverOptions;
  private running: Running | undefined;
  private following: Promise<ReceiverSummary> | undefined;
  private abort: AbortController | undefined;
  private busy = false;

  constructor(options: ReceiverOptions & { measureEnd?: boolean }) {
    super();
    this.options = resolveReceiverOptions(options);
  }

  /** Applies every record in the log now, then releases the destination. Resolves with the counts. */
  async catchUp(): Promise<ReceiverSummary> {
    this.claim('catchUp');
    try {
      const running = await this.open();
      try {
        const summary = await running.session.run({ follow: false, endSeq: await this.endSeq(running.opened) });
        this.emit('caught-up', summary);
        return summary;
      } finally {
        await this.close(running);
      }
    } catch (error) {
      throw stamp(error, 'LogReceiver.catchUp');
    } finally {
      this.busy = false;
    }
  }

  /**
   * Catches up (resolving once that is done), then follows the log in the background until stop(). An error
   * while following is emitted as 'error' and ends the follow; stop() then resolves with what was applied.
   * stop() during the catch-up ends it early (the cursor keeps what was applied).
   */
  async start(): Promise<ReceiverSummary> {
    this.claim('start');
    const abort = new AbortController();
    this.abort = abort;
    this.following = (async () => {
      const running = await this.open();
      this.running = running;
      const caughtUp = await running.session.run({ follow: false, signal: abort.signal, endSeq: await this.endSeq(running.opened) });
      // Caught up means ready for live changes: the first one must not wait for the writer threads to start.
      await running.session.writersReady();
      this.emit('caught-up', caughtUp);
      return caughtUp;
    })();
    let caughtUp: ReceiverSummary;
    try {
      caughtUp = await this.following;
    } catch (error) {
      await this.release();
      throw stamp(error, 'LogReceiver.start');
    }
    if (!abort.signal.aborted) {
      this.following = this.running!.session.run({ follow: true, signal: abort.signal }).catch((error: unknown) => {
        this.emit('error', stamp(error, 'LogReceiver.start') as Error);
        throw error;
      });
      this.following.catch(() => {}); // reported through 'error'; stop() settles it
    }
    return caughtUp;
  }

  /** Stops following: finishes the records in flight, saves the cursor, releases the destination. */
  async stop(): Promise<ReceiverSummary | undefined> {
    if (!this.following) return undefined;
    this.abort?.abort();
    const summary = await this.following.catch(() => undefined);
    await this.release();
    return summary;
  }

  private async release(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    this.following = undefined;
    this.abort = undefined;
    try {
      if (running) await this.close(running);
    } finally {
      this.busy = false;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private claim(operation: string): void {
    if (this.busy) throw new ClosedError(`${operation}: this receiver is already running`, {});
    this.busy = true;
  }

  private async open(): Promise<Running> {
    const opened = await this.options.source.open({ outputPath: this.options.outputPath, mode: this.options.mode });
    // A source that carries chunks (a remote one) gets threads that check and write them, as a local log's do.
    // Only a catch-up with enough content starts them: a follower's live changes are written on the main thread.
    opened.writers ??= opened.source.carryContent && !opened.source.locateChunks ? ContentWriterPool.create(undefined, { startWhenReady: false }) : undefined;
    try {
      const session = await ReceiverSession.open({
        writers: opened.writers,
        source: opened.source,
        outputPath: this.options.outputPath,
        logDir: opened.logIdentity,
        headSeq: opened.headSeq,
        mode: this.options.mode,
        concurrency: this.options.concurrency,
        skipDamaged: this.options.skipDamaged,
        emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
        reportsChanges: () => this.listenerCount('applied') > 0,
      });
      return { opened, session };
    } catch (error) {
      await opened.writers?.close();
      await opened.close().catch(() => {});
      throw error;
    }
  }

  private async close(running: Running): Promise<void> {
    try {
      await running.session.close();
    } finally {
      await running.opened.close();
    }
  }

  /** Seq after the log's last record, for progress (a local log reads its catalog: only when asked). */
  private async endSeq(opened: OpenedReceiverSource): Promise<number | undefined> {
    if (!this.options.measureEnd) return undefined;
    return opened.endSeq();
  }
}
