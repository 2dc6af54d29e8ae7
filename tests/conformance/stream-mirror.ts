// Puts a conformance log (tests/helpers/log-fixture.ts: payloads that are not synclog records) on a JetStream stream
// exactly as docs/jetstream.md maps a log, so StreamLog can be run through the reader contract. The real publisher
// (src/jetstream/publisher.ts) decodes chunk records to name their subjects and refuses these payloads, so this one
// only lays out the mapping: the same headers, message ids, expected last sequence and subjects, with a chunk-tagged
// record under a made-up id. It catches up before returning, then follows the log until stopped. Mid-log damage is
// carried over as a stream would hold it: the damaged frame's bytes, as they are on disk, published at their seq.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { headers as natsHeaders } from 'nats';
import { CorruptionError } from '../../src/errors.js';
import { connectJetStream, headersFor, messageIdFor, streamDescription, streamSubjects, subjectFor } from '../../src/jetstream/index.js';
import { FRAME_HEADER_BYTES, FRAME_OFFSET, initChecksum, Log, readLogId, type LogEntry } from '../../src/log/index.js';
import { RECORD_TAGS } from '../../src/record/index.js';

export async function mirrorToStream(dir: string, servers: string, stream: string): Promise<{ stop(): Promise<void> }> {
  await initChecksum();
  const logId = await readLogId(dir);
  if (logId === undefined) throw new Error(`${dir} has no segment yet`);
  const connection = await connectJetStream(servers);
  await connection.jsm.streams.add({ name: stream, subjects: [streamSubjects(stream)], description: streamDescription(logId) });
  const log = await Log.open(dir, { readOnly: true });
  let next = 0;
  let salt: bigint | undefined;
  const publish = async (entry: LogEntry): Promise<void> => {
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(headersFor(logId, entry))) headers.set(name, value);
    const chunkId = entry.tag === RECORD_TAGS.chunk ? entry.seq.toString(16).padStart(64, '0') : undefined;
    await connection.js.publish(subjectFor(stream, entry.tag, chunkId), entry.frame!, { msgID: messageIdFor(logId, entry.seq), expect: { lastSequence: entry.seq }, headers });
    next = entry.seq + 1;
    salt = entry.salt;
  };
  let damaged = false;
  try {
    for await (const entry of log.read({ withFrames: true })) await publish(entry);
  } catch (error) {
    if (!(error instanceof CorruptionError) || error.where.offset === undefined || salt === undefined) throw error;
    const bytes = await readFile(join(dir, error.where.file));
    const at = error.where.offset;
    const frame = bytes.subarray(at, at + FRAME_HEADER_BYTES + bytes.readUInt32LE(at + FRAME_OFFSET.length));
    await publish({ seq: next, segment: error.where.file, offset: at, tag: frame[FRAME_OFFSET.tag]!, payload: frame.subarray(FRAME_HEADER_BYTES), frame, salt });
    damaged = true;
  }
  const controller = new AbortController();
  const following = damaged
    ? Promise.resolve()
    : (async () => {
        for await (const entry of log.read({ fromSeq: next, follow: true, withFrames: true, signal: controller.signal })) await publish(entry);
      })();
  return {
    async stop() {
      controller.abort();
      try {
        await following;
      } finally {
        await log.close();
        await connection.nc.close();
      }
    },
  };
}
