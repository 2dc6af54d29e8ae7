// Hostile pushes (docs/protocol.md "Push"): each is refused with its status and the server's log is byte for byte as
// before: a read-scoped token, an unknown token, a chunk whose bytes do not match its id, a version naming a chunk
// never uploaded, a version with an unsafe path, an oversized body (answered 413, never a reset), a body cut off
// mid-record.
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogServer, TokenSet } from '../../src/net/index.js';
import { encodeIds, encodeRecordHeadForPush, encodeRecordsHead, uploadChunkHead, UPLOAD_END, uploadHead } from '../../src/net/push-protocol.js';
import { encodeRecord, newVersionId, type VersionRecord } from '../../src/record/index.js';
import { hashContent } from '../../src/store/index.js';
import { PUSH_TOKEN, READ_TOKEN } from '../helpers/net-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function logBytes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort()) out[name] = (await readFile(join(dir, name))).toString('hex');
  return out;
}

function post(url: string, path: string, body: Uint8Array, token: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path.slice(1), url), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function version(overrides: Partial<VersionRecord>, data: Uint8Array): VersionRecord {
  const id = hashContent(data);
  return { kind: 'version', versionId: newVersionId(), time: Date.now(), root: 'docs', path: 'a.txt', type: 'file', event: 'created', size: data.length, mtimeMs: 1, mode: 0o644, uid: 0, gid: 0, contentId: id, chunks: [{ id, size: data.length }], ...overrides } as VersionRecord;
}

function recordsBody(records: { seq: number; record: VersionRecord }[]): Buffer {
  const pieces: Uint8Array[] = [encodeRecordsHead('0-1111111111111111')];
  for (const { seq, record } of records) {
    const { tag, payload } = encodeRecord(record);
    pieces.push(encodeRecordHeadForPush({ seq, tag, payload }), payload);
  }
  pieces.push(Uint8Array.of(3));
  return Buffer.concat(pieces);
}

describe('hostile pushes change nothing', () => {
  it('refuses each with its status; the log stays byte for byte', async () => {
    const logDir = join(await makeTmpDir(), 'server-log');
    const server = await LogServer.start({ logDir, acceptPush: true, tokens: TokenSet.parse(`read:${READ_TOKEN}\npush:${PUSH_TOKEN}\n`, undefined) });
    closers.push(() => server.close());
    const before = await logBytes(logDir);
    const data = new TextEncoder().encode('hello');
    const good = recordsBody([{ seq: 2, record: version({}, data) }]);

    expect((await post(server.url, '/v1/push/records', good, READ_TOKEN)).status).toBe(403);
    expect((await post(server.url, '/v1/push/records', good, 'unknown-token-000000000000')).status).toBe(401);
    // The version names a chunk never uploaded.
    const missing = await post(server.url, '/v1/push/records', good, PUSH_TOKEN);
    expect(missing.status).toBe(409);
    expect(missing.text).toMatch(/does not hold/);
    // A chunk whose bytes are not its id.
    const liar = encodeRecord({ kind: 'chunk', id: hashContent(new TextEncoder().encode('other')), codec: 'raw', size: 5, data }).payload;
    const badChunk = await post(server.url, '/v1/push/chunks', Buffer.concat([uploadHead(), uploadChunkHead(liar.length), liar, UPLOAD_END]), PUSH_TOKEN);
    expect(badChunk.status).toBe(400);
    expect(badChunk.text).toMatch(/chunk-hash-mismatch/);
    // An unsafe path (the chunk is held this time, so only the path is wrong).
    const chunk = encodeRecord({ kind: 'chunk', id: hashContent(data), codec: 'raw', size: 5, data }).payload;
    const held = Buffer.concat([uploadHead(), uploadChunkHead(chunk.length), chunk, UPLOAD_END]);
    const afterChunk = async () => {
      expect((await post(server.url, '/v1/push/chunks', held, PUSH_TOKEN)).status).toBe(200);
      return logBytes(logDir);
    };
    const withChunk = await afterChunk();
    for (const path of ['../escape.txt', '/etc/passwd', 'a/../../b']) {
      const unsafe = await post(server.url, '/v1/push/records', recordsBody([{ seq: 2, record: version({ path: path as VersionRecord['path'] }, data) }]), PUSH_TOKEN);
      expect(unsafe.status, path).toBe(400);
    }
    // Oversized: refused from Content-Length, or once the bytes read pass the limit. Either way the client must get
    // the 413 itself, never a reset (the server drains the rest instead of closing on unread bytes): ten times each,
    // since a reset that wins the race only sometimes is exactly the defect.
    const idsBeyond = encodeIds(Array.from({ length: 5000 }, () => new Uint8Array(32)));
    for (let i = 0; i < 10; i++) {
      const oversize = await Promise.all([
        post(server.url, '/v1/push/chunks', Buffer.alloc(16), PUSH_TOKEN, { 'content-length': String(64 * 1024 * 1024) }),
        post(server.url, '/v1/push/lacks', idsBeyond, PUSH_TOKEN),
        post(server.url, '/v1/push/records', Buffer.alloc(17 * 1024 * 1024), PUSH_TOKEN),
        post(server.url, '/v1/chunks', idsBeyond, READ_TOKEN),
      ]);
      expect(oversize.map((answer) => answer.status)).toEqual([413, 413, 413, 413]);
      for (const answer of oversize) expect(JSON.parse(answer.text)).toMatchObject({ code: 'SYNCLOG_LIMIT' });
    }
    const cut = await post(server.url, '/v1/push/records', good.subarray(0, good.length - 6), PUSH_TOKEN);
    expect(cut.status).toBe(400);
    expect(await logBytes(logDir)).toEqual(withChunk);
    // Only the one good upload changed the log at all, and the good push after it is taken.
    expect(withChunk).not.toEqual(before);
    expect((await post(server.url, '/v1/push/records', good, PUSH_TOKEN)).status).toBe(200);
  });
});
