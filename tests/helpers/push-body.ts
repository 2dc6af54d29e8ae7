// Hand-made push requests (docs/protocol.md "Push") for tests that play a client the real pusher would never be: a
// records body from given records at given client seqs, an upload body of chunk records, and a POST with a token.
import { request } from 'node:http';
import { encodeRecordHeadForPush, encodeRecordsHead, uploadChunkHead, UPLOAD_END, uploadHead } from '../../src/net/push-protocol.js';
import { encodeRecord, type LogRecord } from '../../src/record/index.js';
import { hashContent } from '../../src/store/index.js';

/** A /v1/push/records body from `origin` (a client log id) holding `records` at their client seqs, in order. */
export function recordsBody(origin: string, records: readonly { seq: number; record: LogRecord }[]): Buffer {
  const pieces: Uint8Array[] = [encodeRecordsHead(origin)];
  for (const { seq, record } of records) {
    const { tag, payload } = encodeRecord(record);
    pieces.push(encodeRecordHeadForPush({ seq, tag, payload }), payload);
  }
  pieces.push(Uint8Array.of(3));
  return Buffer.concat(pieces);
}

/** A /v1/push/chunks body uploading each of `contents` as one raw chunk. */
export function uploadBody(contents: readonly Uint8Array[]): Buffer {
  const pieces: Uint8Array[] = [uploadHead()];
  for (const data of contents) {
    const chunk = encodeRecord({ kind: 'chunk', id: hashContent(data), codec: 'raw', size: data.length, data }).payload;
    pieces.push(uploadChunkHead(chunk.length), chunk);
  }
  pieces.push(UPLOAD_END);
  return Buffer.concat(pieces);
}

export function postBody(url: string, path: string, body: Uint8Array, token: string): Promise<{ status: number; text: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path.slice(1), url), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const all = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, text: all.toString('utf8'), body: all });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
