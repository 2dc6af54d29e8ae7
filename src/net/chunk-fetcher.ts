// Chunk fetches of a remote receiver, gathered across files: every file being written asks for its next chunks here,
// and the asks of one turn of the event loop (and those that come while the requests in flight are answered) go out
// together, up to chunkIdsPerRequestMax ids or chunkRequestBytesMax of content per request, chunkRequestsInFlight
// requests at once. Why: a catch-up of small files asked one request per file (2,000 requests for the quick bench
// corpus), and each round trip's wake-ups (client, server, their thread pools) cost more than its bytes on 2 cores.
// Owns the queue of asks and the de-duplication: a chunk is fetched once while an ask for it is outstanding, from
// the ask until its asker releases it (it has used the bytes), so also while its answer waits in a file's read-ahead.
// Why until the release and not until the answer: files applied in parallel (a copy, a file sharing chunks with
// another) ask for the same chunks at their own pace, and a chunk answered a moment before the second ask was
// fetched again (a copy and a half-copy of a 4 MiB file: 85 chunks fetched where 65 were needed).
// Checks nothing itself: what it resolves an ask with is what the source answered (checked bytes, or records the
// caller checks before using a byte of them).
import type { ChunkRef, ContentIdBytes } from '../record/index.js';
import { contentIdHex } from '../store/index.js';
import { NET_LIMITS } from '../util/limits.js';
import { WeightedLru } from '../util/weighted-lru.js';

/** What the fetcher sends its requests to: chunks (or their records) by id, in order, undefined for one not there. */
export interface ChunkBatchSource<T> {
  fetchChunks(ids: readonly ContentIdBytes[]): Promise<(T | undefined)[]>;
}

interface Ask<T> {
  id: ContentIdBytes;
  hex: string;
  size: number;
  resolve(data: T | undefined): void;
  reject(error: unknown): void;
}

/** One ask for a chunk: its answer, and the release that ends the sharing of it. */
export interface ChunkAsk<T> {
  readonly answer: Promise<T | undefined>;
  /**
   * The asker is done with the answer (or gives it up): a later ask for the chunk fetches it again. Call it before
   * handing the answer's bytes on (a transfer to a thread detaches them): a later ask is given a copy made from them.
   * `kept`: the asker did not hand the bytes on (it only read them), so the answer may stay shareable for a while
   * (at most chunkAnswersKeptBytesMax of them), for a file that asks for the chunk a little later than this one.
   * Idempotent; a no-op for an ask that shared another's answer.
   */
  release(options?: { kept?: boolean }): void;
}

/** An outstanding chunk: its answer, and the answer itself once it came (a later ask copies it at once). */
interface Outstanding<T> {
  answer: Promise<T | undefined>;
  settled?: { data: T | undefined };
  size: number;
}

export class ChunkFetcher<T> {
  /** Asks not yet sent, oldest first. */
  private readonly queue: Ask<T>[] = [];
  /** Chunks asked for and not yet released by their first asker, by id hex: a second ask shares the first one's. */
  private readonly outstanding = new Map<string, Outstanding<T>>();
  /**
   * Answers released as kept, oldest first, at most chunkAnswersKeptBytesMax (by the chunks' sizes). Why: files read
   * in parallel drift apart, and the ones sharing a file's chunks (a copy of it, a file with half of it) asked for a
   * chunk a few chunks after the first file had used it (8 of a 4 MiB file's 56 chunks fetched twice).
   */
  private readonly kept = new WeightedLru<string, Outstanding<T>>(NET_LIMITS.chunkAnswersKeptBytesMax);
  private inFlight = 0;
  private scheduled = false;
  /** Requests sent (tests, benchmarks). */
  requests = 0;

  /**
   * `copy`: what a second ask for an outstanding chunk gets instead of the first ask's answer itself. Each ask then
   * owns what it is given (its bytes may be moved to a content-writer thread, which detaches them).
   */
  constructor(
    private readonly source: ChunkBatchSource<T>,
    private readonly copy: (data: T) => T = (data) => data,
  ) {}

  /** Chunks asked for and not released (tests: a leak shows here). */
  get outstandingCount(): number {
    return this.outstanding.size;
  }

  /** Bytes of released answers kept shareable (tests: bounded by chunkAnswersKeptBytesMax). */
  get keptByteCount(): number {
    return this.kept.weight;
  }

  /** The chunk (undefined: the log has no such chunk); the request carrying it leaves within a turn. */
  get(chunk: ChunkRef): ChunkAsk<T> {
    const hex = contentIdHex(chunk.id);
    const known = this.outstanding.get(hex) ?? this.kept.get(hex);
    if (known) {
      // Copied now when the answer is here (its asker has not released it, so its bytes are intact), else as it
      // arrives, before the first asker can have handed its bytes on.
      const answer = known.settled ? Promise.resolve(this.copyOf(known.settled.data)) : known.answer.then((data) => this.copyOf(data));
      return { answer, release: () => {} };
    }
    const answer = new Promise<T | undefined>((resolve, reject) => this.queue.push({ id: chunk.id, hex, size: chunk.size, resolve, reject }));
    const entry: Outstanding<T> = { answer, size: chunk.size };
    this.outstanding.set(hex, entry);
    const release = (options?: { kept?: boolean }) => {
      if (this.outstanding.get(hex) !== entry) return;
      this.outstanding.delete(hex);
      if (options?.kept && entry.settled?.data !== undefined) this.keep(hex, entry);
    };
    // A failed ask is not shared: the next ask for the chunk tries again.
    answer.then((data) => (entry.settled = { data }), () => release());
    this.schedule();
    return { answer, release };
  }

  private keep(hex: string, entry: Outstanding<T>): void {
    this.kept.set(hex, entry, entry.size);
  }

  private copyOf(data: T | undefined): T | undefined {
    return data === undefined ? undefined : this.copy(data);
  }

  /** Sends at the end of this turn, so the asks made in it share requests. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    while (this.inFlight < NET_LIMITS.chunkRequestsInFlight && this.queue.length > 0) {
      const asks: Ask<T>[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && asks.length < NET_LIMITS.chunkIdsPerRequestMax && (asks.length === 0 || bytes + this.queue[0]!.size <= NET_LIMITS.chunkRequestBytesMax)) {
        const ask = this.queue.shift()!;
        asks.push(ask);
        bytes += ask.size;
      }
      this.inFlight++;
      this.requests++;
      let request: Promise<(T | undefined)[]>;
      try {
        request = this.source.fetchChunks(asks.map((ask) => ask.id));
      } catch (error) {
        request = Promise.reject(error);
      }
      void request.then(
        (found) => asks.forEach((ask, i) => ask.resolve(found[i])),
        (error: unknown) => asks.forEach((ask) => ask.reject(error)),
      ).finally(() => {
        this.inFlight--;
        this.send();
      });
    }
  }
}
