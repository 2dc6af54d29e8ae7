// Checks an archive entry's bytes against the content its manifest record claims: cut at the record's chunk sizes,
// every chunk hashed (BLAKE3, the store's own helpers) and compared with its id, the whole compared with the content id and size.
// Never: holds more than one chunk in memory, or hands out a chunk before its hash matched.
// Invariant: a chunk yielded by checkedChunks has exactly the bytes its id names.
import type { ChunkRef, VersionRecord } from '../record/index.js';
import { ContentHasher, hashContent, sameContentId } from '../store/index.js';
import { refuseEntry } from './archive-entry-path.js';

export interface CheckedChunk {
  ref: ChunkRef;
  bytes: Uint8Array;
}

/**
 * Re-cuts `body` into the record's chunks and yields each one after its hash matched; after the last one checks the
 * total size and the content id. Throws ArchiveError (reason manifest-mismatch) naming the entry on any difference.
 */
export async function* checkedChunks(archive: string, entry: string, record: VersionRecord, body: AsyncIterable<Uint8Array>): AsyncGenerator<CheckedChunk> {
  const mismatch = (what: string): never => refuseEntry(archive, entry, 'manifest-mismatch', `content differs from the manifest: ${what}`, { versionId: record.versionId });
  const chunks = record.chunks ?? [];
  const whole = new ContentHasher();
  let index = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  const emit = (bytes: Uint8Array): CheckedChunk => {
    const ref = chunks[index];
    if (!ref) return mismatch(`more bytes than the ${chunks.length} chunks listed`);
    if (!sameContentId(hashContent(bytes), ref.id)) mismatch(`chunk ${index} does not match its id`);
    whole.update(bytes);
    index += 1;
    return { ref, bytes };
  };
  for await (const piece of body) {
    total += piece.length;
    if (total > record.size) mismatch(`more than ${record.size} bytes`);
    let rest = piece;
    while (rest.length > 0) {
      const want = (chunks[index]?.size ?? 0) - pendingBytes;
      if (want <= 0) mismatch(`more bytes than the ${chunks.length} chunks listed`);
      const take = rest.subarray(0, want);
      rest = rest.subarray(take.length);
      pending.push(take);
      pendingBytes += take.length;
      if (pendingBytes === chunks[index]!.size) {
        const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        yield emit(bytes);
      }
    }
  }
  if (total !== record.size || index !== chunks.length) mismatch(`${total} bytes in ${index} chunks, the manifest lists ${record.size} bytes in ${chunks.length}`);
  if (!record.contentId || !sameContentId(whole.digest(), record.contentId)) mismatch('the content id does not match');
}

/** Reads a whole entry through the checks, keeping nothing (validation pass). Returns the bytes read. */
export async function checkContent(archive: string, entry: string, record: VersionRecord, body: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of checkedChunks(archive, entry, record, body)) bytes += chunk.bytes.length;
  return bytes;
}
