// Store verify: the log's own walk (every frame checksum, torn tail) plus a content walk (every chunk's BLAKE3,
// every version's chunks present before it). Owns only the report; never repairs. Invariants: a damaged frame is
// named by segment and offset and, when it holds a known chunk, by chunk id; a chunk no version references is
// counted (a crash between chunk and version leaves those) but is not an error.
import { CorruptionError } from '../errors.js';
import { decodeRecord, displayPath, type ChunkRecord } from '../record/index.js';
import { ChunkIndex } from './chunk-index.js';
import { checkChunkPayload } from './chunk-reader.js';
import { contentIdHex } from './content-id.js';
import { assessDamage } from './store-damage.js';
import type { LogModule, StoreLog } from './log-port.js';
import type { StoreVerifyProblem, StoreVerifyReport } from './types.js';

export interface VerifyContext {
  logDir: string;
  log: StoreLog;
  logModule: LogModule;
  index: ChunkIndex;
}

interface ContentWalk {
  seen: ChunkIndex;
  referenced: ChunkIndex;
  chunks: number;
  versions: number;
  decoded: number;
  errors: StoreVerifyProblem[];
  missingChunks: StoreVerifyReport['missingChunks'];
  /** Chunks present in the log whose record failed its check (hex id → seq of that record). */
  damaged: Map<string, number>;
}

/** Walks every record the log yields: checks chunks, collects references. Stops (and reports) at mid-log damage. */
async function walkContent(ctx: VerifyContext, onBytes: (bytes: number) => void): Promise<ContentWalk> {
  const walk: ContentWalk = { seen: new ChunkIndex(), referenced: new ChunkIndex(), chunks: 0, versions: 0, decoded: 0, errors: [], missingChunks: [], damaged: new Map() };
  try {
    for await (const entry of ctx.log.read({})) {
      onBytes(entry.payload.length);
      const where = { segment: entry.segment, offset: entry.offset, seq: entry.seq };
      let record;
      try {
        record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
      } catch (error) {
        walk.errors.push({ ...where, source: 'content', reason: (error as Error).message });
        continue;
      }
      walk.decoded++;
      if (record.kind === 'chunk') {
        walk.chunks++;
        const chunk = record as ChunkRecord;
        try {
          await checkChunkPayload(entry.tag, entry.payload, chunk.id, { ...where, size: chunk.size });
          walk.seen.add(chunk.id, { ...where, size: chunk.size });
        } catch (error) {
          walk.damaged.set(contentIdHex(chunk.id), entry.seq);
          walk.errors.push({ ...where, source: 'content', chunk: contentIdHex(chunk.id), reason: (error as Error).message });
        }
      } else if (record.kind === 'version') {
        walk.versions++;
        for (const ref of record.chunks ?? []) {
          walk.referenced.add(ref.id, { ...where, size: ref.size });
          if (walk.seen.has(ref.id)) continue;
          const chunk = contentIdHex(ref.id);
          walk.missingChunks.push({ versionId: record.versionId, path: displayPath(record), chunk });
          // A chunk that is in the log but failed its check is damage, not absence: say which record holds it.
          const damagedAt = walk.damaged.get(chunk);
          const why = damagedAt === undefined ? 'which is not in the log before it' : `whose stored bytes are damaged (record #${damagedAt})`;
          walk.errors.push({ ...where, source: 'content', chunk, reason: `version ${record.versionId} of ${displayPath(record)} references chunk ${chunk}, ${why}` });
        }
      }
    }
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw error;
    // The log's verify names this damage too; note that the content walk could not go past it.
    walk.errors.push({ segment: error.where.file, offset: error.where.offset ?? 0, seq: error.where.seq, source: 'content', reason: `content walk stopped: ${error.message}` });
  }
  return walk;
}

export async function verifyStore(ctx: VerifyContext, onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<StoreVerifyReport> {
  const logReport = await ctx.logModule.verifyLog(ctx.logDir, (done, total) => onProgress?.(done / 2, total));
  let walked = 0;
  const walk = await walkContent(ctx, (bytes) => {
    walked += bytes;
    onProgress?.(logReport.bytes / 2 + Math.min(walked, logReport.bytes) / 2, logReport.bytes);
  });
  // Name the chunk behind each damaged frame the log found, when the index knows what lived there.
  const byPlace = new Map<string, string>();
  if (logReport.errors.length > 0) {
    for (const entry of ctx.index.entries()) byPlace.set(`${entry.segment}:${entry.offset}`, contentIdHex(entry.id));
  }
  const errors: StoreVerifyProblem[] = logReport.errors.map((problem) => {
    const chunk = byPlace.get(`${problem.segment}:${problem.offset}`);
    return chunk ? { ...problem, source: 'log' as const, chunk, reason: `chunk ${chunk}: ${problem.reason}` } : { ...problem, source: 'log' as const };
  });
  const logged = new Set(errors.map((e) => `${e.segment}:${e.offset}`));
  for (const problem of walk.errors) if (!logged.has(`${problem.segment}:${problem.offset}`)) errors.push(problem);
  let unreferenced = 0;
  for (const entry of walk.seen.entries()) if (!walk.referenced.has(entry.id)) unreferenced++;
  const damage = errors.length > 0 ? await assessDamage(ctx.logDir, ctx.logModule) : undefined;
  return {
    ok: errors.length === 0,
    segments: logReport.segments,
    records: logReport.records,
    bytes: logReport.bytes,
    chunks: walk.chunks,
    versions: walk.versions,
    errors,
    missingChunks: walk.missingChunks,
    unreferencedChunks: unreferenced,
    storeRecords: walk.decoded,
    ...(logReport.tornTail ? { tornTail: logReport.tornTail } : {}),
    ...(logReport.prunePending ? { prunePending: logReport.prunePending } : {}),
    ...(damage ? { damage } : {}),
  };
}
