// Reading a request body on the server, within a limit (docs/protocol.md "Errors", "Push"). Owns the read/drain
// policy for a body beyond its limit: the refusal (413) is known as soon as Content-Length, or the bytes so far, say
// so, but the rest of the body is still read and thrown away rather than the connection being torn down, because a
// socket closed with unread bytes makes the kernel send a reset, and a reset can reach the client before (and
// destroy) the 413 it was about to read. Node's server keeps reading a refused request until it ends, bounded by
// requestTimeoutMs (408 and close after that), and the 413 says `connection: close`.
// Never buffers more than bytesMax of a body.
import type { IncomingMessage } from 'node:http';
import { HttpRefusal } from './http-reply.js';

/** The whole body, at most `bytesMax` bytes; `tooLarge()` (a 413) beyond it, a 400 when the body is cut off. */
export function readRequestBody(req: IncomingMessage, bytesMax: number, tooLarge: () => HttpRefusal): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > bytesMax) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: HttpRefusal) => {
      if (settled) return;
      settled = true;
      if (error) {
        parts.length = 0;
        reject(error);
      } else resolve(Buffer.concat(parts, size));
    };
    const cutOff = () => settle(new HttpRefusal(400, 'SYNCLOG_USAGE', 'the request body was cut off'));
    // The data listener stays after a refusal: the rest of the body is drained (discarded), not left unread.
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (settled) return;
      if (size > bytesMax) settle(tooLarge());
      else parts.push(part);
    });
    req.once('end', () => (req.complete ? settle() : cutOff()));
    req.once('error', cutOff);
    req.once('close', () => {
      if (!req.complete) cutOff();
    });
  });
}
