// What mid-log damage costs (issue 13 item 5, for `synclog verify`): a second walk over the log that reads past
// damaged records (skipDamaged), collects every chunk that is intact (its frame verified, its bytes hash to its
// id) and names each file version that references a chunk not found intact anywhere: the versions a checkout or
// export would leave out. Only run when verify found damage; never writes.
import { decodeRecord, displayPath } from '../record/index.js';
import { ChunkIndex } from './chunk-index.js';
import { checkChunkPayload } from './chunk-reader.js';
import type { LogModule } from './log-port.js';
import type { StoreDamageReport } from './types.js';

export async function assessDamage(logDir: string, logModule: LogModule): Promise<StoreDamageReport> {
  const log = await logModule.Log.open(logDir, { readOnly: true, skipDamaged: true });
  const intact = new ChunkIndex();
  const versions: { versionId: string; path: string; chunks: Uint8Array[] }[] = [];
  try {
    for await (const entry of log.read({})) {
      let record;
      try {
        record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
      } catch {
        continue; // a record that does not decode is verify's error already; it supplies nothing intact
      }
      if (record.kind === 'chunk') {
        const where = { segment: entry.segment, offset: entry.offset, seq: entry.seq, size: record.size };
        try {
          checkChunkPayload(entry.tag, entry.payload, record.id, where);
          intact.add(record.id, where);
        } catch {
          // a damaged chunk is not intact: the versions that need it are affected
        }
      } else if (record.kind === 'version' && record.type === 'file') {
        versions.push({ versionId: record.versionId, path: displayPath(record), chunks: (record.chunks ?? []).map((c) => c.id) });
      }
    }
    const affectedVersions = versions
      .map((v) => ({ versionId: v.versionId, path: v.path, missingChunks: v.chunks.filter((id) => !intact.has(id)).length }))
      .filter((v) => v.missingChunks > 0);
    return { skipped: [...(log.skipped ?? [])], affectedVersions };
  } finally {
    await log.close();
  }
}
