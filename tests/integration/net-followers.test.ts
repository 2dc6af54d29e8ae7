// Many followers of one server while a writer appends (docs/protocol.md "GET /v1/records"): every follower gets
// every record exactly once, in order, verified, and they all end identical. Each follower is a RemoteLog in this
// process over its own keep-alive connection. And the server's memory (its own process, peak resident set) stays
// within its per-follower bounds while half of 20 followers stall on a 64 MiB backlog: back-pressure, not buffering.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Log, type LogEntry } from '../../src/log/index.js';
import { LOG_LIMITS } from '../../src/util/limits.js';
import { CLI } from '../helpers/run-cli.js';
import { LogServer, RemoteLog } from '../../src/net/index.js';
import { isIntact, recordFor } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const FOLLOWERS = 20;
const RECORDS = 300;

describe('20 followers at once', () => {
  it('all see every record in order while a writer appends', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir, { segmentBytesMax: 16 * 1024 });
    await writer.append(recordFor(0));
    const server = await LogServer.start({ logDir: dir, host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const remotes: RemoteLog[] = [];
    const seen: LogEntry[][] = [];
    try {
      const following = Array.from({ length: FOLLOWERS }, async (_, i) => {
        const remote = await RemoteLog.connect(server.url);
        remotes.push(remote);
        const mine: LogEntry[] = (seen[i] = []);
        for await (const entry of remote.read({ follow: true, signal: controller.signal })) mine.push(entry);
      });
      for (let seq = 1; seq < RECORDS; seq += 10) {
        await writer.appendMany(Array.from({ length: Math.min(10, RECORDS - seq) }, (_, k) => recordFor(seq + k, 200)));
      }
      await waitFor(() => seen.length === FOLLOWERS && seen.every((s) => s.length === RECORDS), 'every follower to have every record', 60_000, 50, () => seen.map((s) => s.length));
      controller.abort();
      await Promise.all(following);
      const first = seen[0]!.map((e) => `${e.seq}:${e.segment}:${e.offset}:${Buffer.from(e.payload).toString('hex')}`);
      expect(first.length).toBe(RECORDS);
      for (const other of seen) expect(other.map((e) => `${e.seq}:${e.segment}:${e.offset}:${Buffer.from(e.payload).toString('hex')}`)).toEqual(first);
      expect(seen[0]!.map((e) => e.seq)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
      expect(seen[0]!.every((e) => isIntact(e, e.seq === 0 ? 0 : 200))).toBe(true);
    } finally {
      controller.abort();
      for (const remote of remotes) remote.close();
      await server.close();
      await writer.close();
    }
  }, 90_000);
});

/** Resident set now and at its peak (VmRSS, VmHWM) of a process, in bytes (Linux /proc). */
async function residentBytes(pid: number): Promise<{ now: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { now: kib('VmRSS'), peak: kib('VmHWM') };
}

const BACKLOG_RECORDS = 64;
const BACKLOG_RECORD_BYTES = 1024 * 1024;
const STALLED = 10;

describe('20 followers: the server\'s memory stays bounded', () => {
  it('half of them stalled on a 64 MiB backlog hold the server at its per-follower bounds, not at the backlog', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir);
    for (let i = 0; i < BACKLOG_RECORDS; i++) await writer.append({ tag: 9, payload: new Uint8Array(BACKLOG_RECORD_BYTES).fill(i) });
    // The server in a process of its own, so its resident memory is its alone.
    const serve = spawn(process.execPath, [CLI, 'serve', '--log', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const controller = new AbortController();
    const remotes: RemoteLog[] = [];
    const sockets: Socket[] = [];
    try {
      let printed = '';
      serve.stdout!.on('data', (data: Buffer) => (printed += data.toString()));
      await waitFor(() => / on (http:\/\/\S+)/.test(printed), 'the server to listen', 30_000);
      const url = / on (http:\/\/\S+)/.exec(printed)![1]!;
      const start = await residentBytes(serve.pid!);
      // Stalled followers: each asks for the whole backlog and reads nothing. A server that buffered a catch-up
      // per follower would hold 64 MiB for each of them.
      const stalledBytes = Array.from({ length: STALLED }, () => 0);
      for (let i = 0; i < STALLED; i++) {
        const socket = connect(Number(new URL(url).port), '127.0.0.1');
        socket.pause();
        socket.on('data', (data: Buffer) => (stalledBytes[i]! += data.length));
        socket.write(`GET /v1/records?from=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        sockets.push(socket);
      }
      // The others catch up and follow while the writer appends more.
      const seen = Array.from({ length: FOLLOWERS - STALLED }, () => 0);
      const following = seen.map(async (_, i) => {
        const remote = await RemoteLog.connect(url);
        remotes.push(remote);
        for await (const entry of remote.read({ follow: true, signal: controller.signal })) {
          expect(entry.payload[0]).toBe(entry.seq % 256);
          seen[i]!++;
        }
      });
      for (let i = BACKLOG_RECORDS; i < BACKLOG_RECORDS + 8; i++) await writer.append({ tag: 9, payload: new Uint8Array(BACKLOG_RECORD_BYTES).fill(i) });
      const total = BACKLOG_RECORDS + 8;
      await waitFor(() => seen.every((n) => n === total), 'the reading followers to have every record', 120_000, 100, () => seen);
      const whileStalled = await residentBytes(serve.pid!);
      // Per follower (docs/protocol.md "Limits"): the log reader's buffer, the frame in hand, and the response's
      // own buffer; everything else is the process's own and GC slack.
      const perFollowerBytes = LOG_LIMITS.readBufferBytes + (BACKLOG_RECORD_BYTES + 64) + 64 * 1024;
      const slackBytes = 250 * 1024 * 1024; // measured 157 MiB of growth in all once; room for GC timing on a busy machine
      const boundBytes = FOLLOWERS * perFollowerBytes + slackBytes;
      process.stdout.write(`server resident: ${(start.now / 2 ** 20).toFixed(0)} MiB at start, peak ${(whileStalled.peak / 2 ** 20).toFixed(0)} MiB (bound: +${(boundBytes / 2 ** 20).toFixed(0)} MiB)\n`);
      expect(whileStalled.peak - start.now).toBeLessThan(boundBytes);
      // And far below one backlog per stalled follower (what buffering them would take).
      expect(boundBytes).toBeLessThan((STALLED * BACKLOG_RECORDS * BACKLOG_RECORD_BYTES) / 2);
      // The stalled ones read again: each gets the whole stream (the backlog as it was when they asked, at least).
      for (const socket of sockets) socket.resume();
      await waitFor(() => stalledBytes.every((n) => n >= BACKLOG_RECORDS * BACKLOG_RECORD_BYTES), 'the stalled followers to get every record', 120_000, 100, () => stalledBytes);
    } finally {
      controller.abort();
      for (const remote of remotes) remote.close();
      for (const socket of sockets) socket.destroy();
      serve.kill('SIGTERM');
      await writer.close();
    }
  }, 240_000);
});
