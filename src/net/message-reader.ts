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

  /** Exactly `length` bytes; a body that ends sooner is a cut stream (NetError reason 'stream-cut', retried). */
  async read(length: number): Promise<Buffer> {
    await this.fill(length);
    if (this.pendingBytes < length) throw new NetError(`the answer from ${this.url} was cut off mid-message`, { url: this.url, reason: 'stream-cut', retryable: true });
    const whole = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const out = whole.subarray(0, length);
    const rest = whole.subarray(length);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
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
