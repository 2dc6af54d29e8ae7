// Chunk fetches of a remote receiver, gathered across files: every file being written asks for its next chunks here,
// and the asks of one turn of the event loop (and those that come while the requests in flight are answered) go out
// together, up to chunkIdsPerRequestMax ids or chunkRequestBytesMax of content per request, chunkRequestsInFlight
// requests at once. Why: a catch-up of small files asked one request per file (2,000 requests for the quick bench
// corpus), and each round trip's wake-ups (client, server, their thread pools) cost more than its bytes on 2 cores.
// Owns the queue of asks and the de-duplication (a chunk asked for while it is queued or in flight is fetched once).
// Checks nothing itself: what it resolves an ask with is what the source answered (checked bytes, or records the
// caller checks before using a byte of them).
import type { ChunkRef, ContentIdBytes } from '../record/index.js';
import { contentIdHex } from '../store/index.js';
import { NET_LIMITS } from '../util/limits.js';

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

export class ChunkFetcher<T> {
  /** Asks not yet sent, oldest first. */
  private readonly queue: Ask<T>[] = [];
  /** Chunks queued or in flight, by id hex: a second ask waits for the first one's answer. */
  private readonly pending = new Map<string, Promise<T | undefined>>();
  private inFlight = 0;
  private scheduled = false;
  /** Requests sent (tests, benchmarks). */
  requests = 0;

  /**
   * `copy`: what a second ask for a chunk already queued or in flight gets instead of the first ask's answer itself.
   * Each ask then owns what it is given (its bytes may be moved to a content-writer thread, which detaches them).
   */
  constructor(
    private readonly source: ChunkBatchSource<T>,
    private readonly copy: (data: T) => T = (data) => data,
  ) {}

  /** The chunk (undefined: the log has no such chunk); the request carrying it leaves within a turn. */
  get(chunk: ChunkRef): Promise<T | undefined> {
    const hex = contentIdHex(chunk.id);
    const known = this.pending.get(hex);
    // The copy is made as the answer arrives, before the first asker can have handed its bytes on.
    if (known) return known.then((data) => data && this.copy(data));
    const answer = new Promise<T | undefined>((resolve, reject) => this.queue.push({ id: chunk.id, hex, size: chunk.size, resolve, reject }));
    this.pending.set(hex, answer);
    const forget = () => this.pending.delete(hex);
    answer.then(forget, forget);
    this.schedule();
    return answer;
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
