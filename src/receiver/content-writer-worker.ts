// A content-writer thread: reads a file version's chunks straight from the log's segments (or takes them from the job:
// a remote receiver's fetched chunk records), checks each (frame checksum, inflate, size, BLAKE3: the store's own
// readChunkAtSync and checkFetchedChunk), and writes them into a new temp file, all with
// synchronous calls. Synchronous is the point: this thread has nothing else to do while a call waits, so it pays no
// thread-pool hop, promise or callback per call, and a slow inode allocation blocks only this thread.
// Never renames (the receiver does, once the batch's data is durable) and never writes outside the temp it was given.
// Invariant: every job is answered exactly once, in order (in batches sent every few ms); a failed job leaves no
// temp file behind.
import { closeSync, fchmodSync, fsyncSync, futimesSync, openSync, rmSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { serializeError, UsageError, wrapIoError } from '../errors.js';
import { SegmentReaderSync } from '../log/index.js';
import { CONTENT_ID_BYTES, checkChunkSize, checkFetchedChunk, hashContent, readChunkAtSync, readyCodecs } from '../store/index.js';
import { NEW_FILE_FLAGS, writeAllSync } from '../util/fs-durable.js';
import type { ChunkToWrite, WorkerData, WorkerMessage, WriteJob, WriteReply } from './content-writer-protocol.js';

const port = parentPort!;
// Jobs wait on `reader`, so loading zstd into it means no job reads a chunk before this thread can decode zstd.
const logDir = (workerData as WorkerData).logDir;
const reader = readyCodecs().then(() => (logDir === undefined ? undefined : SegmentReaderSync.open(logDir)));

/** First calls into zlib and BLAKE3 load and set up what they need: done now, not while a live change waits. */
function warmUp(): void {
  hashContent(new Uint8Array(1));
  inflateRawSync(deflateRawSync(new Uint8Array(1)));
}

void reader.then(
  () => {
    warmUp();
    port.postMessage({ ready: true } satisfies WorkerMessage);
  },
  () => port.postMessage({ ready: true } satisfies WorkerMessage), // each job will report the failure
);

/** The chunk's checked bytes: read from the log, or carried (a record checked here, or bytes checked before). */
function chunkBytes(chunk: ChunkToWrite, id: Uint8Array, segments: SegmentReaderSync | undefined): Uint8Array {
  if ('bytes' in chunk) {
    const data = chunk.tag === undefined ? chunk.bytes : checkFetchedChunk(chunk.tag, chunk.bytes, id, chunk.from);
    return checkChunkSize(data, { id, size: chunk.size });
  }
  if (!segments) throw new UsageError('a content-writer thread without a log was given a chunk to read from the log', { segment: chunk.segment });
  const data = readChunkAtSync(segments, { segment: chunk.segment, offset: chunk.offset, size: chunk.storedSize }, id);
  return checkChunkSize(data, { id, size: chunk.size }, chunk);
}

function writeInto(fd: number, job: WriteJob, segments: SegmentReaderSync | undefined): number {
  try {
    let bytes = 0;
    for (const [i, chunk] of job.chunks.entries()) {
      const id = job.ids.subarray(i * CONTENT_ID_BYTES, (i + 1) * CONTENT_ID_BYTES);
      const data = chunkBytes(chunk, id, segments);
      writeAllSync(fd, data);
      bytes += data.length;
    }
    if (job.setMode) fchmodSync(fd, job.mode);
    futimesSync(fd, job.mtimeSeconds, job.mtimeSeconds);
    if (job.fsync) fsyncSync(fd);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function run(job: WriteJob, segments: SegmentReaderSync | undefined): WriteReply {
  let created = false;
  try {
    const fd = openSync(job.temp, NEW_FILE_FLAGS, job.mode);
    created = true;
    return { job: job.job, bytes: writeInto(fd, job, segments) };
  } catch (error) {
    try {
      if (created) rmSync(job.temp, { force: true });
    } catch {
      // the write's own error is the one to report
    }
    return { job: job.job, error: serializeError(wrapIoError(error, 'write file', job.target)) };
  }
}

/** Answers are sent at least this often while a message's jobs run, so the receiver can hand out more work. */
const REPLY_INTERVAL_MS = 2;

function runAll(jobs: WriteJob[], segments: SegmentReaderSync | undefined): void {
  let replies: WriteReply[] = [];
  let sentAt = performance.now();
  for (const job of jobs) {
    replies.push(run(job, segments));
    const now = performance.now();
    if (now - sentAt >= REPLY_INTERVAL_MS) {
      port.postMessage(replies);
      replies = [];
      sentAt = now;
    }
  }
  if (replies.length > 0) port.postMessage(replies);
}

port.on('message', (jobs: WriteJob[]) => {
  void reader.then(
    (segments) => runAll(jobs, segments),
    (error: unknown) => port.postMessage(jobs.map((job): WriteReply => ({ job: job.job, error: serializeError(error) }))),
  );
});
