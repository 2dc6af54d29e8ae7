// Read deltas end to end in-process (docs/protocol.md "Read deltas"): a real LogServer and a remote LogReceiver. A
// 1 KiB edit in a big file travels as a delta whose base is the destination's file (or, in one catch-up, the version
// received just before), rebuilt and checked against the frame's checksum; a destination file changed behind the
// receiver, a hostile server's ops out of range or wrong checksum cost the record whole, never a wrong byte; a
// record that is wrong whole too is refused and the destination keeps what it had; a server that does not list the
// feature is never asked for deltas.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/errors.js';
import { FRAME_HEADER_BYTES } from '../../src/log/index.js';
import { openRemoteSource, RemoteLog, type LogServer, type OpenedRemoteSource } from '../../src/net/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { bytes, serve } from '../helpers/net-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { LogBuilder } from './receiver-log-builder.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function overwrite(file: string, at: number, data: Uint8Array): Promise<void> {
  const handle = await open(file, 'r+');
  await handle.write(data, 0, data.length, at);
  await handle.close();
}

/** A served log of one 8 MiB file (well over deltaChunksMin chunks), recorded once. */
async function servedBigFile(): Promise<{ base: string; sourceDir: string; file: string; builder: LogBuilder; server: LogServer }> {
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

async function receive(url: string, out: string): Promise<{ remote: RemoteLog; opened: OpenedRemoteSource }> {
  let opened: OpenedRemoteSource | undefined;
  await new LogReceiver({ logPath: url, outputPath: out, source: { open: async (run) => (opened = await openRemoteSource(url, { giveUpAfterMs: 0 }, run)) } }).catchUp();
  return { remote: opened!.source.remote as RemoteLog, opened: opened! };
}

type Rewrite = (url: string, body: Buffer, count: number) => Buffer;

/** A proxy in front of the server that may rewrite whole answers (`url` with its query). */
async function proxy(target: string, rewrite: Rewrite): Promise<string> {
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
function messages(stream: Buffer): { type: number; at: number }[] {
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

describe('read deltas (receive --from, latest mode)', () => {
  it('a 1 KiB edit in an 8 MiB file comes as a delta against the destination file, checked; the tree is exact', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile();
    const out = join(base, 'out');
    const first = await receive(server.url, out);
    expect(first.remote.readsDeltas).toBe(true);
    expect(first.remote.deltaStats).toEqual({ expanded: 0, refused: 0 });
    await overwrite(file, 4 * 1024 * 1024, bytes(1024, 99));
    await builder.record('big.bin');
    const second = await receive(server.url, out);
    expect(second.remote.deltaStats).toEqual({ expanded: 1, refused: 0 });
    expect(server.stats.deltasSent).toBe(1);
    // The chunk list the base supplied (16+ entries of ~46 bytes) did not travel.
    expect(server.stats.deltaBytesSaved).toBeGreaterThan(15 * 40);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('two versions new to the receiver in one catch-up: the second expands against the first, received just before', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile();
    await overwrite(file, 1024 * 1024, bytes(1024, 98));
    await builder.record('big.bin');
    const { remote } = await receive(server.url, join(base, 'out'));
    expect(remote.deltaStats).toEqual({ expanded: 1, refused: 0 });
    expect(await snapshotTree(join(base, 'out', 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  it('a destination file changed behind the receiver: the rebuilt frame fails its check, the record comes whole, the tree is exact', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile();
    const out = join(base, 'out');
    await receive(server.url, out);
    await overwrite(join(out, 'src', 'big.bin'), 2 * 1024 * 1024, bytes(4096, 5));
    await overwrite(file, 6 * 1024 * 1024, bytes(1024, 97));
    await builder.record('big.bin');
    const { remote } = await receive(server.url, out);
    expect(server.stats.deltasSent).toBe(1);
    expect(remote.deltaStats).toEqual({ expanded: 0, refused: 1 });
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  for (const [attack, at] of [['ops out of range', 17 + FRAME_HEADER_BYTES + 12 + 1], ['a wrong checksum', 17]] as const) {
    it(`a hostile server's delta with ${attack} is not used: the record is asked whole and the tree is exact`, async () => {
      const { base, sourceDir, file, builder, server } = await servedBigFile();
      const out = join(base, 'out');
      await receive(server.url, out);
      await overwrite(file, 3 * 1024 * 1024, bytes(1024, 96));
      await builder.record('big.bin');
      let tampered = 0;
      const url = await proxy(server.url, (path, body) => {
        if (!path.startsWith('/v1/records') || !path.includes('delta=1')) return body;
        for (const message of messages(body).filter((m) => m.type === 0x05)) {
          if (at === 17) body[message.at + at]! ^= 0x40;
          else body.writeUInt32LE(0xfffff000, message.at + at);
          tampered++;
        }
        return body;
      });
      const { remote } = await receive(url, out);
      expect(tampered).toBe(1);
      expect(remote.deltaStats).toEqual({ expanded: 0, refused: 1 });
      expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
    });
  }

  it('a delta that fails and a whole record that fails too: refused (CorruptionError), the destination keeps the old file', async () => {
    const { base, file, builder, server } = await servedBigFile();
    const out = join(base, 'out');
    await receive(server.url, out);
    const before = await readFile(join(out, 'src', 'big.bin'));
    await overwrite(file, 5 * 1024 * 1024, bytes(1024, 95));
    await builder.record('big.bin');
    const url = await proxy(server.url, (path, body) => {
      if (!path.startsWith('/v1/records')) return body;
      for (const message of messages(body)) {
        if (message.type === 0x05) body[message.at + 17]! ^= 0x40;
        // The whole record asked after the delta (from=seq&limit=1): one payload byte flipped.
        if (message.type === 0x02 && /limit=1$/.test(path) && !/from=0&/.test(path)) body[message.at + 17 + FRAME_HEADER_BYTES]! ^= 0x01;
      }
      return body;
    });
    await expect(receive(url, out)).rejects.toBeInstanceOf(CorruptionError);
    expect((await readFile(join(out, 'src', 'big.bin'))).equals(before)).toBe(true);
  });

  it('a server that does not list the feature is never asked delta=1 (as an older server, which would refuse it)', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile();
    const out = join(base, 'out');
    const asked: string[] = [];
    const url = await proxy(server.url, (path, body) => {
      if (path.startsWith('/v1/log')) {
        const info = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        delete info.readFeatures;
        return Buffer.from(JSON.stringify(info));
      }
      if (path.startsWith('/v1/records')) asked.push(path);
      return body;
    });
    await receive(url, out);
    await overwrite(file, 4 * 1024 * 1024, bytes(1024, 94));
    await builder.record('big.bin');
    const { remote } = await receive(url, out);
    expect(remote.readsDeltas).toBe(false);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.filter((path) => path.includes('delta'))).toEqual([]);
    expect(server.stats.deltasSent).toBe(0);
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });
});
