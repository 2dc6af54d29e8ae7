// Receiving from a served log (`LogReceiver` with a remote source, src/net): the tree comes out exactly as the
// source, in both modes, and a live follower gets new versions; a hostile or broken server cannot make it accept a
// wrong byte: a chunk whose bytes do not match its id is refused, a frame damaged in transit is refused, a stream
// cut mid-frame is retried (never half-accepted), a server that starts serving another log is refused; TLS end to
// end with a certificate made here, and a self-signed server refused without --ca.
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogServer, openRemoteSource, RemoteLog, type RemoteLogOptions } from '../../src/net/index.js';
import { LogReceiver, RECEIVER_STATE_DIR } from '../../src/receiver/index.js';
import type { LogEntry } from '../../src/log/index.js';
import { builtLog, serve } from '../helpers/net-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree, type TreeEntry } from '../helpers/tree-snapshot.js';
import { waitFor } from '../helpers/wait-for.js';
import { LogBuilder } from './receiver-log-builder.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function remoteReceiver(url: string, outputPath: string, mode: 'latest' | 'all-versions' = 'latest', options: RemoteLogOptions = {}): LogReceiver {
  return new LogReceiver({ logPath: url, outputPath, mode, source: { open: () => openRemoteSource(url, { giveUpAfterMs: 0, ...options }) } });
}

/** A proxy in front of a real server that may rewrite an answer (whole bodies: these answers are small). */
async function proxy(target: string, rewrite: (path: string, count: number, status: number, headers: Record<string, string>, body: Buffer, res: ServerResponse) => boolean): Promise<string> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const parts: Buffer[] = [];
      for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
      const upstream = await fetch(new URL(req.url!.slice(1), target), { method: req.method, headers: req.headers as Record<string, string>, body: req.method === 'POST' ? Buffer.concat(parts) : undefined });
      const body = Buffer.from(await upstream.arrayBuffer());
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        if (key !== 'content-length' && key !== 'transfer-encoding' && key !== 'connection' && key !== 'keep-alive') headers[key] = value;
      });
      const path = new URL(req.url!, 'http://x').pathname;
      const count = (counts.get(path) ?? 0) + 1;
      counts.set(path, count);
      if (rewrite(path, count, upstream.status, headers, body, res)) return;
      res.writeHead(upstream.status, headers);
      res.end(body);
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/`;
}

async function servedLog(files = 6): Promise<{ base: string; sourceDir: string; server: LogServer; logDir: string }> {
  const built = await builtLog(files);
  const server = await serve(built.logDir);
  closers.push(() => server.close());
  return { ...built, server };
}

describe('receive --from (remote source)', () => {
  it('catches up in both modes to exactly the source tree, and a second run applies nothing', async () => {
    const { base, sourceDir, server } = await servedLog();
    const source = await snapshotTree(sourceDir);
    const latest = join(base, 'latest');
    const first = await remoteReceiver(server.url, latest).catchUp();
    expect(first.files).toBe(6);
    expect(await snapshotTree(join(latest, 'src'))).toEqual(source);
    const cursor = JSON.parse(await readFile(join(latest, RECEIVER_STATE_DIR, 'cursor.json'), 'utf8'));
    expect(cursor.logDir).toMatch(/^synclog-log:0-[0-9a-f]{16}$/);
    expect((await remoteReceiver(server.url, latest).catchUp()).changes).toBe(0);
    const all = join(base, 'all');
    const summary = await remoteReceiver(server.url, all, 'all-versions').catchUp();
    expect(summary.files).toBe(6);
  });

  it('a latest catch-up downloads each record once: its plan pass and its apply pass share one reading', async () => {
    const { base, sourceDir, server } = await servedLog(40);
    const downloaded: number[] = [];
    const out = join(base, 'out');
    const receiver = new LogReceiver({
      logPath: server.url,
      outputPath: out,
      source: {
        open: async (run) => {
          const opened = await openRemoteSource(server.url, { giveUpAfterMs: 0 }, run);
          const remote = opened.source.remote;
          const read = remote.read.bind(remote);
          remote.read = async function* (options) {
            for await (const entry of read(options)) {
              downloaded.push(entry.seq);
              yield entry;
            }
          };
          return opened;
        },
      },
    });
    const summary = await receiver.catchUp();
    expect(summary.files).toBe(40);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
    expect(downloaded.length).toBeGreaterThanOrEqual(40);
    expect(new Set(downloaded).size).toBe(downloaded.length);
  });

  it('follows the served log: a version recorded later arrives', async () => {
    const base = await makeTmpDir();
    const sourceDir = join(base, 'src');
    await import('node:fs/promises').then((fs) => fs.mkdir(sourceDir));
    await writeFile(join(sourceDir, 'a.txt'), 'one\n');
    const logDir = join(base, 'log');
    const builder = await LogBuilder.open(logDir, sourceDir);
    closers.push(() => builder.close());
    await builder.recordAll();
    const server = await serve(logDir);
    closers.push(() => server.close());
    const out = join(base, 'out');
    const receiver = remoteReceiver(server.url, out);
    closers.push(() => receiver.stop().then(() => undefined));
    await receiver.start();
    expect(await readFile(join(out, 'src/a.txt'), 'utf8')).toBe('one\n');
    await writeFile(join(sourceDir, 'a.txt'), 'two, later\n');
    await builder.record('a.txt');
    await waitFor(async () => (await readFile(join(out, 'src/a.txt'), 'utf8').catch(() => '')) === 'two, later\n', 'the new version to arrive');
  });

  it('refuses a chunk whose bytes do not match its id, and writes no such file', async () => {
    const { base, sourceDir, server } = await servedLog();
    const url = await proxy(server.url, (path, _count, status, headers, body, res) => {
      if (path !== '/v1/chunks' || status !== 200 || body.length < 20) return false;
      const evil = Buffer.from(body);
      evil[evil.length - 2] = evil[evil.length - 2]! ^ 0xff; // a byte of the last chunk's data
      res.writeHead(200, headers);
      res.end(evil);
      return true;
    });
    const out = join(base, 'out');
    await expect(remoteReceiver(url, out).catchUp()).rejects.toMatchObject({ code: 'SYNCLOG_CORRUPT', details: { reason: 'chunk-hash-mismatch' } });
    // Whatever was written before the refusal is right: no file in the destination holds a wrong byte.
    const source = await snapshotTree(sourceDir);
    const received: Record<string, TreeEntry> = await snapshotTree(join(out, 'src')).catch(() => ({}));
    for (const [rel, entry] of Object.entries(received)) if (entry.type === 'file') expect(entry.sha256, rel).toBe(source[rel]!.sha256);
    expect(Object.keys(received).filter((rel) => received[rel]!.type === 'file').length).toBeLessThan(6);
  });

  it('refuses a record frame damaged in transit (checksum), applying nothing after it', async () => {
    const { server } = await servedLog(2);
    const url = await proxy(server.url, (path, _count, status, headers, body, res) => {
      if (path !== '/v1/records' || status !== 200 || body.length < 200) return false;
      const evil = Buffer.from(body);
      evil[120] = evil[120]! ^ 0x01;
      res.writeHead(200, headers);
      res.end(evil);
      return true;
    });
    const remote = await RemoteLog.connect(url);
    closers.push(() => remote.close());
    const honest = await RemoteLog.connect(server.url);
    closers.push(() => honest.close());
    const expected: LogEntry[] = [];
    for await (const entry of honest.read()) expected.push(entry);
    const seen: LogEntry[] = [];
    await expect((async () => {
      for await (const entry of remote.read()) seen.push(entry);
    })()).rejects.toMatchObject({ code: 'SYNCLOG_CORRUPT' });
    // Only records before the damaged one came through, each exactly as the log holds it.
    expect(seen.length).toBeLessThan(expected.length);
    seen.forEach((entry, i) => expect(Buffer.from(entry.payload).equals(Buffer.from(expected[i]!.payload))).toBe(true));
  });

  it('retries a stream cut in the middle of a frame and keeps only whole records', async () => {
    const { base, sourceDir, server } = await servedLog();
    const url = await proxy(server.url, (path, count, status, headers, body, res) => {
      if (path !== '/v1/records' || count > 2 || status !== 200) return false;
      // The first two answers break off mid-frame (as a killed server's would).
      res.writeHead(200, headers);
      res.write(body.subarray(0, Math.floor(body.length / (count + 1)) + 3));
      setTimeout(() => res.destroy(), 20);
      return true;
    });
    const retries: string[] = [];
    const out = join(base, 'out');
    await remoteReceiver(url, out, 'latest', { giveUpAfterMs: undefined, onRetry: (error) => retries.push(error.message) }).catchUp();
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatch(/cut off|broke off/);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('refuses a server that starts serving another log (identity changed)', async () => {
    const { base, server } = await servedLog();
    const url = await proxy(server.url, (path, _count, status, headers, body, res) => {
      if (path !== '/v1/records') return false;
      res.writeHead(status, { ...headers, 'synclog-log-id': '0-00000000deadbeef' });
      res.end(body);
      return true;
    });
    await expect(remoteReceiver(url, join(base, 'out')).catchUp()).rejects.toMatchObject({ code: 'SYNCLOG_NET', details: { reason: 'log-identity-changed' } });
  });

  it('a destination made from one log refuses another log at the same URL', async () => {
    const first = await servedLog(2);
    const out = join(first.base, 'out');
    await remoteReceiver(first.server.url, out).catchUp();
    const other = await builtLog(2);
    const { port } = first.server.address;
    await first.server.close();
    closers.splice(0);
    const second = await LogServer.start({ logDir: other.logDir, host: '127.0.0.1', port });
    closers.push(() => second.close());
    await expect(remoteReceiver(second.url, out).catchUp()).rejects.toMatchObject({ code: 'SYNCLOG_USAGE' });
  });

  it('TLS end to end with a certificate made here; without --ca the server is refused', async () => {
    const built = await builtLog(3);
    const dir = await makeTmpDir('synclog-tls-');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const tls = { cert: await readFile(cert), key: await readFile(key) };
    const server = await serve(built.logDir, { tls, tokens: true });
    closers.push(() => server.close());
    expect(server.url).toMatch(/^https:/);
    await expect(RemoteLog.connect(server.url, { giveUpAfterMs: 0 })).rejects.toMatchObject({ code: 'SYNCLOG_NET', details: { reason: 'tls' } });
    await expect(RemoteLog.connect(server.url, { ca: tls.cert })).rejects.toMatchObject({ code: 'SYNCLOG_AUTH' });
    const out = join(built.base, 'out');
    const receiver = new LogReceiver({ logPath: server.url, outputPath: out, source: { open: () => openRemoteSource(server.url, { ca: tls.cert, token: 'read-token-0123456789abcdef' }) } });
    await receiver.catchUp();
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(built.sourceDir));
  });
});
