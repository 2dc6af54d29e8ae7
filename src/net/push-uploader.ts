// The pusher's chunk uploads (docs/protocol.md "Push"): chunk records go out in POST /v1/push/chunks bodies of about
// uploadBytesTarget, at most uploadsInFlight at once, one stream across batches, so the next batch's chunks travel
// while an earlier batch waits for its records' durable answer. Owns the body being filled and which chunks are on
// their way (a later batch waits for those instead of asking about them again).
// Never reports a chunk held before the server answered its upload (the server answers once it is durable).
import { deferred, type Deferred } from '../util/deferred.js';
import { NET_LIMITS, PUSH_LIMITS } from '../util/limits.js';
import { readAnswer } from './answer-body.js';
import type { HttpTransport } from './http-client.js';
import { PUSH_PROTOCOL_VERSION, PUSH_ROUTES, UPLOAD_END, uploadChunkHead, uploadHead } from './push-protocol.js';

/** Told after each answered upload: the hex ids it made durable, and the bytes of its body. */
export type OnUploaded = (ids: readonly string[], bodyBytes: number) => void;

interface Body {
  pieces: Uint8Array[];
  bytes: number;
  ids: string[];
  answered: Deferred<void>;
}

export class ChunkUploader {
  private body: Body = newBody();
  private readonly inFlight = new Set<Promise<void>>();
  /** Chunks queued or sent and not yet answered, by hex id: the answer that makes each durable. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly transport: HttpTransport,
    private readonly signal: AbortSignal | undefined,
    private readonly onUploaded: OnUploaded,
  ) {}

  /** The answer that makes `hex` durable on the server, when its upload is queued or on its way. */
  pendingFor(hex: string): Promise<void> | undefined {
    return this.pending.get(hex);
  }

  /**
   * Queues one chunk record; returns the promise of the answer that makes it durable. Sends the body once it reaches
   * uploadBytesTarget; the caller then awaits `room()` before queueing more (at most uploadsInFlight bodies travel).
   */
  queue(hex: string, payload: Uint8Array): Promise<void> {
    const known = this.pending.get(hex);
    if (known) return known;
    const body = this.body;
    body.pieces.push(uploadChunkHead(payload.length), payload);
    body.bytes += payload.length + 5;
    body.ids.push(hex);
    this.pending.set(hex, body.answered.promise);
    if (body.bytes >= PUSH_LIMITS.uploadBytesTarget) this.send();
    return body.answered.promise;
  }

  /** Resolves once fewer than uploadsInFlight bodies travel; rejects with the failure of one that failed. */
  async room(): Promise<void> {
    while (this.inFlight.size >= PUSH_LIMITS.uploadsInFlight) await Promise.race(this.inFlight);
  }

  /** Resolves once no upload travels any more, answered or failed (a session ends only then). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Sends the body being filled, if it holds anything (a batch's records go only once its chunks are answered). */
  flush(): void {
    if (this.body.ids.length > 0) this.send();
  }

  private send(): void {
    const body = this.body;
    this.body = newBody();
    body.pieces.push(UPLOAD_END);
    const size = body.bytes + uploadHead().length + UPLOAD_END.length;
    const sending = this.transport.request('POST', PUSH_ROUTES.chunks, body.pieces, this.signal, PUSH_PROTOCOL_VERSION).then(async (res) => {
      await readAnswer(res, NET_LIMITS.infoBodyBytesMax);
      this.onUploaded(body.ids, size);
    });
    this.inFlight.add(sending);
    // Every handler settles: a chained promise that rejects with nobody awaiting it would crash the pusher
    // (unhandled rejection) instead of the failure being retried. The failure itself reaches whoever awaits
    // `answered` (the batch that needs these chunks) or `room()`.
    void sending.then(
      () => {
        this.inFlight.delete(sending);
        for (const hex of body.ids) this.pending.delete(hex);
        body.answered.resolve();
      },
      (error: unknown) => {
        this.inFlight.delete(sending);
        for (const hex of body.ids) this.pending.delete(hex);
        body.answered.reject(error);
      },
    );
  }
}

function newBody(): Body {
  const answered = deferred();
  void answered.promise.catch(() => {}); // a session that fails early leaves some answers unawaited
  return { pieces: [uploadHead()], bytes: 0, ids: [], answered };
}
