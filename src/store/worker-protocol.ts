// Messages between the store's main thread and its workers (worker-pool.ts ⇄ chunk-worker.ts). Types only.
import type { ChunkCodec, ContentIdBytes } from '../record/index.js';
import type { CompressionMode } from './compress.js';

export type WorkerRequest =
  | { op: 'open'; session: number }
  | { op: 'data'; session: number; block: Uint8Array }
  | { op: 'end'; session: number }
  | { op: 'abort'; session: number }
  | { op: 'compress'; job: number; data: Uint8Array; mode: CompressionMode };

export type WorkerReply =
  /** `block`: the data block handed back (whole buffer) once chunked, for the sender to read into again. */
  | { op: 'chunks'; session: number; chunks: { id: ContentIdBytes; data: Uint8Array }[]; consumed: number; block?: Uint8Array }
  | { op: 'done'; session: number; contentId: ContentIdBytes; size: number }
  | { op: 'compressed'; job: number; codec: ChunkCodec; data: Uint8Array }
  | { op: 'error'; session?: number; job?: number; message: string };
