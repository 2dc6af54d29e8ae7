// Reading a stream's messages on the client: exact byte counts pulled from a response body as it arrives. Owns only
// buffering (at most what one message needs, plus the network chunk it came in). Never waits for more bytes than
// the caller asked for, so a length is always checked against its limit before it is read.
import { NetError } from '../errors.js';

export class MessageReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly source: AsyncIterator<Buffer>;
  private ended = false;

  constructor(
    body: AsyncIterable<Buffer>,
    private readonly url: string,
  ) {
    this.source = body[Symbol.asyncIterator]();
  }

  /** True when the body has ended with no byte left over (a clean end between messages). */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.pendingBytes === 0;
  }

  /**
   * Exactly `length` bytes; a body that ends sooner is a cut stream (NetError reason 'stream-cut', retried). A view
   * into the body's own buffers when one holds them all, else one copy of exactly these bytes.
   */
  async read(length: number): Promise<Buffer> {
    await this.fill(length);
    this.checkHas(length);
    const first = this.pending[0];
    if (first && first.length >= length) return this.take(first, length);
    return Buffer.from(this.gather(new Uint8Array(length)).buffer);
  }

  /**
   * Exactly `length` bytes in a buffer of their own (byte offset 0, the whole ArrayBuffer: a content-writer thread may
   * be handed it, moved, not copied). Why not `new Uint8Array(await read(length))`: a message spanning the body's
   * pieces was copied twice, once joining every piece pending and again into its own buffer.
   */
  async readOwned(length: number): Promise<Uint8Array> {
    await this.fill(length);
    this.checkHas(length);
    return this.gather(new Uint8Array(length));
  }

  private checkHas(length: number): void {
    if (this.pendingBytes < length) throw new NetError(`the answer from ${this.url} was cut off mid-message`, { url: this.url, reason: 'stream-cut', retryable: true });
  }

  /** The first `length` bytes of `first` (the oldest piece), which holds them; the rest of it stays pending. */
  private take(first: Buffer, length: number): Buffer {
    const out = first.subarray(0, length);
    if (first.length === length) this.pending.shift();
    else this.pending[0] = first.subarray(length);
    this.pendingBytes -= length;
    return out;
  }

  /** Fills `target` from the oldest pending pieces (the caller made sure they hold enough). */
  private gather(target: Uint8Array): Uint8Array {
    let done = 0;
    while (done < target.length) {
      const piece = this.pending[0]!;
      const part = Math.min(piece.length, target.length - done);
      target.set(part === piece.length ? piece : piece.subarray(0, part), done);
      this.take(piece, part);
      done += part;
    }
    return target;
  }

  async u8(): Promise<number> {
    return (await this.read(1))[0]!;
  }

  private async fill(length: number): Promise<void> {
    while (this.pendingBytes < length && !this.ended) {
      let step: IteratorResult<Buffer>;
      try {
        step = await this.source.next();
      } catch (error) {
        // The connection broke mid-answer (reset, server killed): what was verified stays, the rest is asked again.
        throw new NetError(`the answer from ${this.url} broke off: ${(error as Error).message}`, { url: this.url, reason: 'stream-cut', retryable: true }, { cause: error });
      }
      if (step.done) {
        this.ended = true;
        break;
      }
      this.pending.push(step.value);
      this.pendingBytes += step.value.length;
    }
  }
}
