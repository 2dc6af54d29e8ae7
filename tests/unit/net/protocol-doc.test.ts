// docs/protocol.md's worked examples are real: their bytes, served by a stand-in server, are read by RemoteLog
// into exactly the records and chunks the page says (so the page cannot drift from the code).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteLog } from '../../../src/net/index.js';
import { hashContent } from '../../../src/store/index.js';
import { REPO_ROOT } from '../../helpers/run-cli.js';

const DOC = readFileSync(join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');

/** The bytes of the code block after `marker`: the leading hex pairs of each line. */
function exampleBytes(marker: string): Buffer {
  const at = DOC.indexOf(marker);
  expect(at, marker).toBeGreaterThan(0);
  const start = DOC.indexOf('```', at) + 3;
  const block = DOC.slice(start, DOC.indexOf('```', start));
  const hex: string[] = [];
  for (const line of block.split('\n')) {
    for (const token of line.trim().split(/\s+/)) {
      if (!/^[0-9A-Fa-f]{2}$/.test(token)) break;
      hex.push(token);
    }
  }
  return Buffer.from(hex.join(''), 'hex');
}

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

async function standIn(bodies: Record<string, Buffer>): Promise<string> {
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const headers = { 'synclog-protocol': '1', 'synclog-log-id': '0-9f3c2a7b5e01d4c8' };
    if (path === '/v1/log') return res.writeHead(200, headers).end(JSON.stringify({ protocol: 1, logId: '0-9f3c2a7b5e01d4c8', formatVersion: 2, nextSeq: 1, durableSeq: 1 }));
    req.resume();
    res.writeHead(200, headers).end(bodies[path]);
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

describe('docs/protocol.md worked examples', () => {
  it('the record stream example reads as one record: seq 0, offset 40, tag 2, payload 81 A1 61 01', async () => {
    const url = await standIn({ '/v1/records': exampleBytes('Worked example: `GET /v1/records') });
    const remote = await RemoteLog.connect(url);
    const entries = [];
    for await (const entry of remote.read()) entries.push(entry);
    remote.close();
    expect(entries.map((e) => ({ ...e, payload: Buffer.from(e.payload).toString('hex') }))).toEqual([
      { seq: 0, segment: '00000000000000000000.seg', offset: 40, tag: 2, payload: '81a16101' },
    ]);
  });

  it('the chunk stream example reads as "hello" and a missing chunk', async () => {
    const url = await standIn({ '/v1/chunks': exampleBytes('Worked example: asking for one chunk') });
    const remote = await RemoteLog.connect(url);
    const got = await remote.fetchChunks([hashContent(Buffer.from('hello')), new Uint8Array(32)]);
    remote.close();
    expect(got.map((c) => (c ? Buffer.from(c).toString() : c))).toEqual(['hello', undefined]);
  });
});
