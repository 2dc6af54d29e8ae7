// An in-memory record sequence for the receiver's unit tests: builds VersionRecords and DeleteRecords the way the
// watcher would (and hostile ones it never would), and serves them through the ReceiverSource interface.
import { createHash } from 'node:crypto';
import { CorruptionError } from '../../../src/errors.js';
import { newVersionId, type ChunkRef, type DeleteRecord, type EntryRecord, type EntryType, type VersionRecord } from '../../../src/record/index.js';
import type { EntryReadOptions, StoredRecord } from '../../../src/store/types.js';
import type { LogPath } from '../../../src/util/log-path.js';
import type { ReceiverSource } from '../../../src/receiver/types.js';

const CHUNK_BYTES = 4096;
export const BASE_TIME_MS = Date.parse('2026-11-21T10:00:00Z');

export class MemoryLog implements ReceiverSource {
  readonly stored: StoredRecord[] = [];
  private readonly chunks = new Map<string, Uint8Array>();
  private clockMs = BASE_TIME_MS;
  private waiters: (() => void)[] = [];
  /** A seq at which entries() throws a CorruptionError (as the store does for a damaged record). */
  corruptAtSeq: number | undefined;

  private push(record: EntryRecord): StoredRecord<EntryRecord> {
    const seq = this.stored.length;
    const stored = { seq, segment: '00000000000000000000.seg', offset: 64 + seq * 100, record };
    this.stored.push(stored);
    for (const wake of this.waiters.splice(0)) wake();
    return stored;
  }

  private tick(): number {
    this.clockMs += 1000;
    return this.clockMs;
  }

  private base(root: string, path: string, type: EntryType, mode: number, mtimeMs?: number) {
    const time = this.tick();
    return { kind: 'version' as const, versionId: newVersionId(time), time, root, path: path as LogPath, type, event: 'created' as const, size: 0, mtimeMs: mtimeMs ?? time - 500, mode, uid: 0, gid: 0 };
  }

  file(root: string, path: string, content: string | Uint8Array, options: { mode?: number; mtimeMs?: number; event?: VersionRecord['event']; renamedFrom?: string } = {}): StoredRecord<EntryRecord> {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const chunks: ChunkRef[] = [];
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      const piece = bytes.subarray(at, at + CHUNK_BYTES);
      const id = new Uint8Array(createHash('sha256').update(piece).digest());
      this.chunks.set(Buffer.from(id).toString('hex'), piece);
      chunks.push({ id, size: piece.length });
    }
    const record: VersionRecord = {
      ...this.base(root, path, 'file', options.mode ?? 0o644, options.mtimeMs),
      event: options.event ?? 'created',
      size: bytes.length,
      contentId: new Uint8Array(createHash('sha256').update(bytes).digest()),
      chunks,
    };
    if (options.renamedFrom) record.renamedFrom = options.renamedFrom as LogPath;
    return this.push(record);
  }

  dir(root: string, path: string, options: { mode?: number; mtimeMs?: number } = {}): StoredRecord<EntryRecord> {
    return this.push(this.base(root, path, 'dir', options.mode ?? 0o755, options.mtimeMs));
  }

  symlink(root: string, path: string, target: string): StoredRecord<EntryRecord> {
    return this.push({ ...this.base(root, path, 'symlink', 0o777), target });
  }

  remove(root: string, path: string, type: EntryType = 'file', renamedTo?: string): StoredRecord<EntryRecord> {
    const time = this.tick();
    const record: DeleteRecord = { kind: 'delete', versionId: newVersionId(time), time, root, path: path as LogPath, type };
    if (renamedTo) record.renamedTo = renamedTo as LogPath;
    return this.push(record);
  }

  /** A rename as the watcher records it: a delete with renamedTo, then a 'renamed' version at the new path. */
  rename(root: string, from: string, to: string, content: string, mode = 0o644): void {
    this.remove(root, from, 'file', to);
    this.file(root, to, content, { event: 'renamed', renamedFrom: from, mode });
  }

  get endSeq(): number {
    return this.stored.length;
  }

  async *entries(options: EntryReadOptions = {}): AsyncIterable<StoredRecord> {
    let seq = options.fromSeq ?? 0;
    for (;;) {
      while (seq < this.stored.length) {
        if (options.signal?.aborted) return;
        if (seq === this.corruptAtSeq) {
          throw new CorruptionError(`bad record #${seq} in 00000000000000000000.seg at offset ${64 + seq * 100}: checksum mismatch`, {
            file: '00000000000000000000.seg',
            offset: 64 + seq * 100,
            seq,
            reason: 'checksum',
          });
        }
        yield this.stored[seq++]!;
      }
      if (!options.follow || options.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        options.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  async *readContent(chunks: readonly ChunkRef[]): AsyncIterable<Uint8Array> {
    for (const chunk of chunks) {
      const bytes = this.chunks.get(Buffer.from(chunk.id).toString('hex'));
      if (!bytes) throw new Error('missing chunk');
      yield bytes;
    }
  }
}
