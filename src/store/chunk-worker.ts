// Worker thread body: chunking sessions (CDC + BLAKE3 per chunk + whole-content BLAKE3) and compress jobs, so the
// main thread only reads, dedups and appends. Owns no I/O and no shared state. Invariant: every message is answered
// exactly once, in order per session; buffers are transferred, never shared.
import { parentPort, workerData } from 'node:worker_threads';
import { LIMITS } from '../util/limits.js';
import { BufferPool } from '../util/buffer-pool.js';
import { BlockChunker, type ChunkSizes } from './chunker.js';
import { compressChunk, readyCodecs } from './compress.js';
import { ContentHasher, hashContent } from './content-id.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

const port = parentPort!;
const sizes = (workerData as { sizes: ChunkSizes }).sizes;
const sessions = new Map<number, { chunker: BlockChunker; hasher: ContentHasher }>();
/** Carry buffers reused across sessions (finish() hands out copies, so a session's buffer is free once it ends). */
const buffers = new BufferPool(sizes.chunkBytesMax, LIMITS.chunkerBuffersPooledMax);

/**
 * Each chunk goes back with its own buffer: one copy here (BlockChunker cut it in place), so the main thread, the
 * bottleneck of a large ingest, never copies a chunk this worker cut. A chunk across blocks is already a copy.
 */
function chunkReply(session: number, pieces: Uint8Array[], consumed: number): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  const chunks = pieces.map((piece) => {
    const data = isWholeBuffer(piece) ? piece : piece.slice();
    return { id: hashContent(data), data };
  });
  return { reply: { op: 'chunks', session, chunks, consumed }, transfer: chunks.map((c) => c.data.buffer as ArrayBuffer) };
}

function isWholeBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

function handle(message: WorkerRequest): void {
  switch (message.op) {
    case 'open':
      sessions.set(message.session, { chunker: new BlockChunker(sizes, buffers.take()), hasher: new ContentHasher() });
      return;
    case 'data': {
      const state = sessions.get(message.session);
      if (!state) return; // aborted
      state.hasher.update(message.block);
      const { reply, transfer } = chunkReply(message.session, state.chunker.push(message.block), message.block.length);
      // The block goes back to be read into again (no fresh 1 MiB per read), unless a chunk is the whole of it.
      if (reply.op === 'chunks' && !transfer.includes(message.block.buffer as ArrayBuffer)) {
        reply.block = new Uint8Array(message.block.buffer);
        transfer.push(message.block.buffer as ArrayBuffer);
      }
      port.postMessage(reply, transfer);
      return;
    }
    case 'end': {
      const state = sessions.get(message.session);
      if (!state) return;
      sessions.delete(message.session);
      const pieces = state.chunker.finish();
      buffers.give(state.chunker.carry);
      const { reply, transfer } = chunkReply(message.session, pieces, 0);
      port.postMessage(reply, transfer);
      const done: WorkerReply = { op: 'done', session: message.session, contentId: state.hasher.digest(), size: state.hasher.size };
      port.postMessage(done);
      return;
    }
    case 'abort': {
      const state = sessions.get(message.session);
      if (!state) return;
      sessions.delete(message.session);
      buffers.give(state.chunker.carry);
      return;
    }
    case 'compress': {
      const packed = compressChunk(message.data, message.mode);
      const reply: WorkerReply = { op: 'compressed', job: message.job, codec: packed.codec, data: packed.data };
      port.postMessage(reply, [packed.data.buffer as ArrayBuffer]);
      return;
    }
  }
}

// Messages queue on the port until a listener is attached: none is handled before zstd is loaded in this thread.
await readyCodecs();
port.on('message', (message: WorkerRequest) => {
  try {
    handle(message);
  } catch (error) {
    const id = message.op === 'compress' ? { job: message.job } : { session: message.session };
    port.postMessage({ op: 'error', ...id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies WorkerReply);
  }
});
