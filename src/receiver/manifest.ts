// The all-versions manifest: `<dest>/.synclog-receiver/manifest.jsonl`, one JSON line per applied version or
// delete, in log (seq) order, for scripts. Lines arrive out of order (records are applied concurrently) and are
// written in seq order up to the cursor by `flush(nextSeq)`, fsynced before the cursor is saved.
// Invariant: the manifest holds exactly one line per record below the saved cursor: on open it is cut back to the
// length the cursor recorded, so lines of records replayed after a crash are never doubled.
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { wrapIoError } from '../errors.js';

export const MANIFEST_FILE = 'manifest.jsonl';

/** One manifest line (docs/receiver.md "Manifest"). */
export interface ManifestLine {
  seq: number;
  versionId: string;
  kind: 'version' | 'delete';
  /** created | modified | renamed | restored | imported | deleted */
  event: string;
  /** ISO 8601, when synclog recorded the change. */
  time: string;
  root: string;
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size?: number;
  mode?: number;
  mtime?: string;
  contentId?: string;
  target?: string;
  renamedFrom?: string;
  renamedTo?: string;
  /** Where the version (or deletion marker) is kept, relative to the destination; absent for directories. */
  file?: string;
  /** all-versions latest view: the entry's path relative to the destination (absent after a delete). */
  latest?: string;
}

export class Manifest {
  private pending = new Map<number, string>();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    private bytes: number,
  ) {}

  /** Opens the manifest and cuts anything past `committedBytes` (lines of records not yet under the cursor). */
  static async open(stateDir: string, committedBytes: number): Promise<Manifest> {
    const path = join(stateDir, MANIFEST_FILE);
    try {
      const handle = await open(path, 'a+');
      const size = (await handle.stat()).size;
      if (size > committedBytes) {
        await handle.truncate(committedBytes);
        await handle.sync();
      }
      return new Manifest(handle, path, Math.min(size, committedBytes));
    } catch (error) {
      throw wrapIoError(error, 'open manifest', path);
    }
  }

  add(line: ManifestLine): void {
    this.pending.set(line.seq, JSON.stringify(line) + '\n');
  }

  /** Appends (in seq order) and fsyncs every pending line below `nextSeq`; returns the manifest's byte length. */
  async flush(nextSeq: number): Promise<number> {
    const ready = [...this.pending.keys()].filter((seq) => seq < nextSeq).sort((a, b) => a - b);
    if (ready.length === 0) return this.bytes;
    const text = ready.map((seq) => this.pending.get(seq)!).join('');
    for (const seq of ready) this.pending.delete(seq);
    const data = Buffer.from(text);
    try {
      await this.handle.write(data);
      await this.handle.sync();
    } catch (error) {
      throw wrapIoError(error, 'append manifest', this.path);
    }
    this.bytes += data.length;
    return this.bytes;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
