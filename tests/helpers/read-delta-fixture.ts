// Read deltas under test (docs/protocol.md "Read deltas"): a served log of one big file recorded through the store,
// a remote receiver run that hands back its RemoteLog, a proxy that may rewrite whole answers, and a walk over a
// record stream's messages (to tamper with a `0x05` one).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_HEADER_BYTES } from '../../src/log/index.js';
import { openRemoteSource, type LogServer, type OpenedRemoteSource, type RemoteLog } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';
import { bytes, serve } from './net-fixture.js';
import { makeTmpDir } from './tmp-dir.js';

/** Closers of what the helpers started; the test file runs them after each test. */
export type Closers = (() => Promise<void> | void)[];

export async function overwrite(file: string, at: number, data: Uint8Array): Promise<void> {
  const handle = await open(file, 'r+');
  await handle.write(data, 0, data.length, at);
  await handle.close();
}

/** A served log of one 8 MiB file (well over deltaChunksMin chunks), recorded once. */
export async function servedBigFile(closers: Closers): Promise<{ base: string; sourceDir: string; file: string; builder: LogBuilder; server: LogServer }> {
  const base = await makeTmpDir();
  const sourceDir = join(base, 'src');
  await mkdir(sourceDir);
  const file = join(sourceDir, 'big.bin');
  await writeFile(file, bytes(8 * 1024 * 1024, 21));
  const builder = await LogBuilder.open(join(base, 'log'), sourceDir);
  closers.push(() => builder.close());
  await builder.recordAll();
  const server = await serve(join(base, 'log'));
  closers.push(() => server.close());
  return { base, sourceDir, file, builder, server };
}

export async function receive(url: string, out: string): Promise<{ remote: RemoteLog; opened: OpenedRemoteSource }> {
  let opened: OpenedRemoteSource | undefined;
  await new LogReceiver({ logPath: url, outputPath: out, source: { open: async (run) => (opened = await openRemoteSource(url, { giveUpAfterMs: 0 }, run)) } }).catchUp();
  return { remote: opened!.source.remote as RemoteLog, opened: opened! };
}

export type Rewrite = (url: string, body: Buffer, count: number) => Buffer;

/** A proxy in front of the server that may rewrite whole answers (`url` with its query). */
export async function proxy(closers: Closers, target: string, rewrite: Rewrite): Promise<string> {
  let count = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const parts: Buffer[] = [];
      for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
      const upstream = await fetch(new URL(req.url!.slice(1), target), { method: req.method, headers: req.headers as Record<string, string>, body: req.method === 'POST' ? Buffer.concat(parts) : undefined });
      const body = rewrite(req.url!, Buffer.from(await upstream.arrayBuffer()), ++count);
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(key)) headers[key] = value;
      });
      res.writeHead(upstream.status, headers);
      res.end(body);
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

/** Where each message of a record stream starts, by type (the stream's layout: docs/protocol.md). */
export function messages(stream: Buffer): { type: number; at: number }[] {
  const out: { type: number; at: number }[] = [];
  let at = 8;
  for (;;) {
    const type = stream[at]!;
    out.push({ type, at });
    if (type === 0x01) at += 17;
    else if (type === 0x02) at += 17 + FRAME_HEADER_BYTES + stream.readUInt32LE(at + 17 + 8);
    else if (type === 0x05) {
      const opCount = stream.readUInt32LE(at + 17 + FRAME_HEADER_BYTES + 8);
      const sizeAt = at + 17 + FRAME_HEADER_BYTES + 12 + opCount * 9;
      at = sizeAt + 4 + stream.readUInt32LE(sizeAt);
    } else return out;
  }
}

