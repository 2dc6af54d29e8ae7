// A TCP proxy on 127.0.0.1 in front of a real nats-server that makes chosen consumers of a stream behave as if the
// server had placed them on a replica still catching up. JetStream (nats-server 2.9) puts a reader's R1 consumer on
// any replica of an R3 stream, and a consumer delivers and counts only what its own server holds: right after a node
// restart, consumers placed on it said 3000 messages pending where the stream held 6000. A lagging consumer here
// is what a replica holding the stream only up to `lastStreamSeq` would give: its create response counts the
// messages of its filter from its start up to there, each message it delivers counts those left after it (the last
// token of its ack subject), and no message past there is delivered. Everything else passes unchanged, so the client,
// its pulls and the server are real. A clamped consumer is one created on such a replica while its start lies past
// the replica's end: the server starts it at that end + 1 instead (nats-server 2.9 selectStartingSeqNo), so it sends
// again messages before the start asked for (its create request's start is lowered so; the replica has caught up
// by the time it delivers). The protocol is parsed frame by frame (MSG, HMSG, PUB and HPUB carry their byte counts;
// every other operation is one line).
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { connectJetStream } from '../../src/jetstream/index.js';

export interface LaggingConsumerOptions {
  /** The stream whose consumers lag. */
  stream: string;
  /** The subject of each message the stream holds, by stream sequence − 1 (subjectsOf). */
  subjects: readonly string[];
  /** The last stream sequence a lagging consumer's replica holds. */
  lastStreamSeq: number;
  /** Which consumers lag, by the order in which the server created them (0 for the first). */
  lagging?: (consumerIndex: number) => boolean;
  /** Which consumers are clamped, by the order in which they were asked for (0 for the first). */
  clamped?: (consumerIndex: number) => boolean;
}

export interface LaggingConsumerProxy {
  url: string;
  /** Consumers of the stream created through the proxy, how many of them lagged, and how many were clamped. */
  counts(): { consumers: number; lagging: number; clamped: number };
  close(): Promise<void>;
}

/** The subject of every message in `stream`, by stream sequence − 1: what the proxy counts pending messages by. */
export async function subjectsOf(url: string, stream: string): Promise<string[]> {
  const connection = await connectJetStream(url);
  try {
    const last = (await connection.jsm.streams.info(stream)).state.last_seq;
    const subjects: string[] = [];
    // A few dozen asks at a time: one message each, and a test's stream holds a few hundred.
    for (let from = 1; from <= last; from += 64) {
      const seqs = Array.from({ length: Math.min(64, last - from + 1) }, (_, i) => from + i);
      const messages = await Promise.all(seqs.map((seq) => connection.jsm.streams.getMessage(stream, { seq })));
      subjects.push(...messages.map((m) => m.subject));
    }
    return subjects;
  } finally {
    await connection.nc.close();
  }
}

/** NATS subject matching: `*` is one token, a last `>` one or more. */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === '') return true;
  const want = filter.split('.');
  const got = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return got.length > i;
    if (i >= got.length || (want[i] !== '*' && want[i] !== got[i])) return false;
  }
  return want.length === got.length;
}

const CRLF = Buffer.from('\r\n');

/** One frame: its protocol line (without CRLF) and, for MSG, HMSG, PUB and HPUB, the bytes after it (CRLF included). */
interface Frame {
  line: string;
  body: Buffer | undefined;
}

/** Splits what the server sends into frames; keeps an unfinished frame until the rest arrives. */
class FrameReader {
  private buffer = Buffer.alloc(0);

  push(data: Buffer): Frame[] {
    this.buffer = Buffer.concat([this.buffer, data]);
    const frames: Frame[] = [];
    for (;;) {
      const end = this.buffer.indexOf(CRLF);
      if (end < 0) return frames;
      const line = this.buffer.subarray(0, end).toString('latin1');
      if (!/^(H?MSG|H?PUB) /.test(line)) {
        frames.push({ line, body: undefined });
        this.buffer = this.buffer.subarray(end + 2);
        continue;
      }
      const size = Number(line.split(' ').at(-1));
      if (!Number.isSafeInteger(size)) throw new Error(`lagging-consumer proxy: bad frame line ${JSON.stringify(line)}`);
      if (this.buffer.length < end + 2 + size + 2) return frames;
      frames.push({ line, body: this.buffer.subarray(end + 2, end + 2 + size + 2) });
      this.buffer = this.buffer.subarray(end + 2 + size + 2);
    }
  }
}

function encode(frame: Frame): Buffer {
  return Buffer.concat([Buffer.from(frame.line, 'latin1'), CRLF, ...(frame.body ? [frame.body] : [])]);
}

/** A frame with its body (without CRLF) replaced: the byte count (the line's last token) follows. */
function withBody(frame: Frame, text: string): Frame {
  const body = Buffer.concat([Buffer.from(text), CRLF]);
  const parts = frame.line.split(' ');
  parts[parts.length - 1] = String(body.length - 2);
  return { line: parts.join(' '), body };
}

/** The reply subject of a MSG or HMSG frame that has one. */
function replyOf(frame: Frame): string | undefined {
  const parts = frame.line.split(' ');
  const withReply = parts[0] === 'MSG' ? parts.length === 5 : parts.length === 6;
  return withReply ? parts[3] : undefined;
}

interface ConsumerState {
  lagging: boolean;
  filter: string;
}

const CREATE_RESPONSE = 'io.nats.jetstream.api.v1.consumer_create_response';

export async function laggingConsumerProxy(port: number, options: LaggingConsumerOptions): Promise<LaggingConsumerProxy> {
  const consumers = new Map<string, ConsumerState>();
  const sockets = new Set<Socket>();
  const last = Math.min(options.lastStreamSeq, options.subjects.length);
  /** Messages of `filter` with a stream sequence in [fromSeq, last]: what the lagging replica holds of them. */
  const heldFrom = (filter: string, fromSeq: number) => {
    let count = 0;
    for (let seq = Math.max(1, fromSeq); seq <= last; seq++) if (subjectMatches(filter, options.subjects[seq - 1]!)) count++;
    return count;
  };

  /** A consumer's create response: noted, and for a lagging consumer its pending count made the replica's. */
  function created(frame: Frame): Frame {
    const text = frame.body!.subarray(0, -2).toString('utf8');
    if (!text.includes(CREATE_RESPONSE)) return frame;
    const response = JSON.parse(text) as { type?: string; stream_name?: string; name?: string; num_pending?: number; config?: { opt_start_seq?: number; filter_subject?: string } };
    if (response.type !== CREATE_RESPONSE || response.stream_name !== options.stream || !response.name) return frame;
    const state: ConsumerState = { lagging: options.lagging?.(consumers.size) ?? false, filter: response.config?.filter_subject ?? '' };
    consumers.set(response.name, state);
    if (!state.lagging) return frame;
    response.num_pending = heldFrom(state.filter, response.config?.opt_start_seq ?? 1);
    return withBody(frame, JSON.stringify(response));
  }

  let asked = 0;
  let clamped = 0;
  /** What the client sends: a consumer's create request, when the consumer is clamped, starts at the replica's end. */
  function ask(frame: Frame): Frame {
    const subject = frame.line.split(' ')[1] ?? '';
    if (!frame.body || !subject.startsWith(`$JS.API.CONSUMER.CREATE.${options.stream}`)) return frame;
    if (!frame.line.startsWith('PUB ')) throw new Error(`lagging-consumer proxy: a create request it does not know: ${frame.line}`);
    if (!options.clamped?.(asked++)) return frame;
    const request = JSON.parse(frame.body.subarray(0, -2).toString('utf8')) as { config?: { opt_start_seq?: number } };
    if (!request.config || (request.config.opt_start_seq ?? 0) <= last + 1) return frame;
    request.config.opt_start_seq = last + 1;
    clamped++;
    return withBody(frame, JSON.stringify(request));
  }

  /** The frames to send the client for this one: none for a lagging consumer's message past its replica's end. */
  function pass(frame: Frame): Frame[] {
    if (!frame.body) return [frame];
    const reply = replyOf(frame);
    // An API response (to the client's inbox, no reply subject) may be a consumer's create response.
    if (reply === undefined) return [frame.line.startsWith('MSG ') ? created(frame) : frame];
    // `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>` (nats-server 2.9).
    if (!reply.startsWith(`$JS.ACK.${options.stream}.`)) return [frame];
    const tokens = reply.split('.');
    if (tokens.length !== 9) throw new Error(`lagging-consumer proxy: an ack subject it does not know: ${reply}`);
    const state = consumers.get(tokens[3]!);
    if (!state?.lagging) return [frame];
    const streamSeq = Number(tokens[5]);
    if (streamSeq > last) return [];
    tokens[8] = String(heldFrom(state.filter, streamSeq + 1));
    const parts = frame.line.split(' ');
    parts[3] = tokens.join('.');
    return [{ line: parts.join(' '), body: frame.body }];
  }

  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    const frames = new FrameReader();
    const asks = new FrameReader();
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('data', (data: Buffer) => {
      const out = frames.push(data).flatMap(pass);
      if (out.length > 0) client.write(Buffer.concat(out.map(encode)));
    });
    client.on('data', (data: Buffer) => {
      const out = asks.push(data).map(ask);
      if (out.length > 0) upstream.write(Buffer.concat(out.map(encode)));
    });
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `nats://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ consumers: consumers.size, lagging: [...consumers.values()].filter((c) => c.lagging).length, clamped }),
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
