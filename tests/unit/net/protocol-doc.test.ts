// docs/protocol.md's worked examples are real: their bytes, served by a stand-in server, are read by RemoteLog
// into exactly the records and chunks the page says (so the page cannot drift from the code).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteLog } from '../../../src/net/index.js';
import { decodeRecord } from '../../../src/record/index.js';
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

async function standIn(bodies: Record<string, Buffer>, info: Record<string, unknown> = {}): Promise<string> {
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const headers = { 'synclog-protocol': '1', 'synclog-log-id': '0-9f3c2a7b5e01d4c8' };
    if (path === '/v1/log') return res.writeHead(200, headers).end(JSON.stringify({ protocol: 1, logId: '0-9f3c2a7b5e01d4c8', formatVersion: 2, nextSeq: 1, durableSeq: 1, ...info }));
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

  it('the read delta example rebuilds the version of seq 5 from its base at seq 3, and its frame checksum verifies', async () => {
    const url = await standIn({ '/v1/records': exampleBytes('Worked example: the log of "GET /v1/records"') }, { nextSeq: 6, durableSeq: 6, readFeatures: ['version-delta'] });
    const remote = await RemoteLog.connect(url);
    const chunk = (text: string) => ({ id: hashContent(Buffer.from(text)), size: text.length });
    const bases: [number, string, string][] = [];
    const entries = [];
    const deltaBases = { chunksOf: async (seq: number, root: string, path: string) => (bases.push([seq, root, path]), [chunk('hello '), chunk('world')]) };
    for await (const entry of remote.read({ fromSeq: 5, deltaBases })) entries.push(entry);
    remote.close();
    expect(bases).toEqual([[3, 'docs', 'a.txt']]);
    expect(remote.deltaStats).toEqual({ expanded: 1, refused: 0 });
    expect(entries.map((e) => ({ seq: e.seq, offset: e.offset, tag: e.tag, bytes: e.payload.length }))).toEqual([{ seq: 5, offset: 480, tag: 2, bytes: 277 }]);
    const record = decodeRecord(2, entries[0]!.payload);
    const hex = (chunks: { id: Uint8Array; size: number }[]) => chunks.map((c) => `${Buffer.from(c.id).toString('hex')}:${c.size}`);
    expect(record.kind === 'version' && hex(record.chunks!)).toEqual(hex([chunk('hello '), chunk('there')]));
  });

  it('the chunk stream example reads as "hello" and a missing chunk', async () => {
    const url = await standIn({ '/v1/chunks': exampleBytes('Worked example: asking for one chunk') });
    const remote = await RemoteLog.connect(url);
    const got = await remote.fetchChunks([hashContent(Buffer.from('hello')), new Uint8Array(32)]);
    remote.close();
    expect(got.map((c) => (c ? Buffer.from(c).toString() : c))).toEqual(['hello', undefined]);
  });
});
