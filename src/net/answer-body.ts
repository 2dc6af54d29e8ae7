// Reading an answer's body on the client side (the push exchange's JSON answers and lacks bitmaps): bounded, and a
// body cut off mid-way (the server killed, the connection reset) becomes a retryable NetError, so the pusher resends
// instead of giving up.
import { NetError } from '../errors.js';

/** An answer's body, at most `bytesMax` (more is a protocol error); a cut answer is a retryable NetError. */
export async function readAnswer(res: AsyncIterable<Buffer>, bytesMax: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of res) {
      size += part.length;
      if (size > bytesMax) throw new NetError(`an answer longer than ${bytesMax} bytes`, { url: '', reason: 'protocol' });
      parts.push(part);
    }
  } catch (error) {
    if (error instanceof NetError) throw error;
    throw new NetError(`the answer broke off: ${(error as Error).message}`, { url: '', reason: 'stream-cut', retryable: true }, { cause: error });
  }
  return Buffer.concat(parts, size);
}
