// Reads a version's content through the store (never from segment files), up to a byte limit, for the preview
// and the diff. The store checks every chunk against its id as it streams, so what is shown is what was recorded.
import type { StoreApi } from '../../store/types.js';
import type { VersionItem } from '../model/index.js';

export type ContentReader = Pick<StoreApi, 'readContent'>;

/** The first `bytesMax` bytes of a file version (`truncated` when there is more). */
export async function readVersionBytes(store: ContentReader, version: VersionItem, bytesMax: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const record = version.record;
  if (record.type !== 'file' || !record.chunks) return { bytes: new Uint8Array(), truncated: false };
  const pieces: Uint8Array[] = [];
  let total = 0;
  for await (const piece of store.readContent(record.chunks)) {
    const room = bytesMax - total;
    pieces.push(piece.length > room ? piece.subarray(0, room) : piece);
    total += Math.min(piece.length, room);
    // Leaving the loop closes the content stream: no more chunks are read.
    if (total >= bytesMax) break;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.length;
  }
  return { bytes, truncated: record.size > total };
}
