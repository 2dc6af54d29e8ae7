// The server's front door (docs/protocol.md "Authentication", "Errors", "Limits"): a missing, unknown or
// wrongly-scoped token gets 401/403 and no log data; malformed and oversized requests are refused with a JSON error
// body; the identity answer names the log. Real server on 127.0.0.1, an ephemeral port, plain fetch as the client.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import type { LogServer } from '../../src/net/index.js';
import { builtLog, PUSH_TOKEN, READ_TOKEN, serve } from '../helpers/net-fixture.js';

let server: LogServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, token?: string, init: RequestInit = {}): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(new URL(path, server!.url), { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe('net server', () => {
  it('describes the log: id, head, durable seq', async () => {
    const { logDir } = await builtLog(2);
    server = await serve(logDir);
    const { status, body, headers } = await get('v1/log');
    expect(status).toBe(200);
    const info = JSON.parse(body.toString());
    expect(info).toMatchObject({ protocol: 1, formatVersion: 2 });
    expect(info.logId).toMatch(/^0-[0-9a-f]{16}$/);
    expect(info.durableSeq).toBeGreaterThan(0);
    expect(info.nextSeq).toBe(info.durableSeq);
    expect(headers.get('synclog-log-id')).toBe(info.logId);
  });

  it('refuses a request without a token (401) and with an unknown token (401), with no log data', async () => {
    const { logDir } = await builtLog(2);
    server = await serve(logDir, { tokens: true });
    for (const token of [undefined, 'not-a-known-token-at-all-000']) {
      for (const path of ['v1/log', 'v1/records?from=0', 'v1/chunks/' + '0'.repeat(64)]) {
        const res = await get(path, token);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
        expect(res.headers.get('synclog-log-id')).toBeNull();
        const body = JSON.parse(res.body.toString());
        expect(body.code).toBe('SYNCLOG_AUTH');
        expect(res.body.includes('SYNCREC1')).toBe(false);
      }
    }
    const posted = await get('v1/chunks', undefined, { method: 'POST', body: new Uint8Array(32) });
    expect(posted.status).toBe(401);
  });

  it('refuses a push-only token for reading (403) and never echoes a token', async () => {
    const { logDir } = await builtLog(2);
    server = await serve(logDir, { tokens: true });
    const res = await get('v1/records?from=0', PUSH_TOKEN);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString()).code).toBe('SYNCLOG_AUTH');
    expect(res.body.toString()).not.toContain(PUSH_TOKEN);
    const ok = await get('v1/records?from=0', READ_TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.body.subarray(0, 8).toString()).toBe('SYNCREC1');
  });

  it('refuses malformed record requests (bad seq, unknown or repeated parameters, huge range, long wait)', async () => {
    const { logDir } = await builtLog(2);
    server = await serve(logDir);
    const cases: [string, string][] = [
      ['v1/records', 'SYNCLOG_USAGE'],
      ['v1/records?from=-1', 'SYNCLOG_USAGE'],
      ['v1/records?from=1.5', 'SYNCLOG_USAGE'],
      ['v1/records?from=99999999999999999999', 'SYNCLOG_USAGE'],
      ['v1/records?from=abc', 'SYNCLOG_USAGE'],
      ['v1/records?from=0&from=1', 'SYNCLOG_USAGE'],
      ['v1/records?from=0&evil=1', 'SYNCLOG_USAGE'],
      ['v1/records?from=0&limit=100000000', 'SYNCLOG_LIMIT'],
      ['v1/records?from=0&limit=0', 'SYNCLOG_USAGE'],
      ['v1/records?from=0&wait=3600000', 'SYNCLOG_LIMIT'],
      ['v1/records?from=0&tags=300', 'SYNCLOG_USAGE'],
    ];
    for (const [path, code] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body.toString()), path).toMatchObject({ code });
    }
    expect((await get('v1/nothing')).status).toBe(404);
    expect((await get('v1/log', undefined, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await get(`v1/records?from=0&x=${'a'.repeat(5000)}`)).status).toBe(414);
  });

  it('refuses chunk batches that are too large or not a whole number of ids', async () => {
    const { logDir } = await builtLog(2);
    server = await serve(logDir);
    const tooMany = await get('v1/chunks', undefined, { method: 'POST', body: new Uint8Array(257 * 32) });
    expect(tooMany.status).toBe(413);
    expect(JSON.parse(tooMany.body.toString()).code).toBe('SYNCLOG_LIMIT');
    const ragged = await get('v1/chunks', undefined, { method: 'POST', body: new Uint8Array(33) });
    expect(ragged.status).toBe(400);
    const missing = await get('v1/chunks', undefined, { method: 'POST', body: new Uint8Array(32) });
    expect(missing.status).toBe(200);
    expect([...missing.body]).toEqual([...Buffer.from('SYNCCHK1'), 0x00, 0x03]);
    expect((await get(`v1/chunks/${'0'.repeat(64)}`)).status).toBe(404);
  });

  it('answers oversized headers with 431', async () => {
    const { logDir } = await builtLog(1);
    server = await serve(logDir);
    const big = await get('v1/log', undefined, { headers: { 'x-junk': 'a'.repeat(20_000) } });
    expect(big.status).toBe(431);
  });

  it('answers 408 to a client that never sends the body it announced (slow client)', async () => {
    const { logDir } = await builtLog(1);
    server = await serve(logDir, { requestTimeoutMs: 1500 });
    const { port } = server.address;
    const answer = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chunks', headers: { 'content-length': '64' } });
      req.on('response', (res) => resolve(String(res.statusCode)));
      req.on('error', (error) => resolve(error.message));
      req.flushHeaders();
    });
    expect(answer).toBe('408');
  });
});
