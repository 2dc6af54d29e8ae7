// Builds real logs for the receiver's tests through the store API (no watcher): a source tree on disk is recorded
// path by path as the watcher would (VersionRecords from lstat + ingestFile, DeleteRecords, renames as a delete with
// renamedTo plus a 'renamed' version), so tests can compare the source with a receiver's destination byte for byte.
import { lstat, readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { newVersionId, type DeleteRecord, type EntryType, type LogRecord, type VersionRecord } from '../../src/record/index.js';
import { openStore, type StoreApi } from '../../src/store/index.js';
import type { LogPath } from '../../src/util/log-path.js';

export class LogBuilder {
  private constructor(
    readonly store: StoreApi,
    readonly sourceDir: string,
    readonly root: string,
  ) {}

  static async open(logDir: string, sourceDir: string, options: { segmentBytesMax?: number } = {}): Promise<LogBuilder> {
    const store = await openStore(logDir, { workers: 1, segmentBytesMax: options.segmentBytesMax });
    return new LogBuilder(store, sourceDir, basename(sourceDir));
  }

  /** The version record for `rel` as it is on disk now, or undefined when it is gone. */
  async versionOf(rel: string, extra: Partial<VersionRecord> = {}): Promise<VersionRecord | undefined> {
    const full = join(this.sourceDir, ...rel.split('/'));
    const st = await lstat(full).catch(() => undefined);
    if (!st) return undefined;
    const type: EntryType = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'file';
    const time = Date.now();
    const record: VersionRecord = {
      kind: 'version',
      versionId: newVersionId(time),
      time,
      root: this.root,
      path: rel as LogPath,
      type,
      event: 'created',
      size: type === 'file' ? st.size : 0,
      mtimeMs: st.mtimeMs,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      ...extra,
    };
    if (type === 'symlink') record.target = await readlink(full);
    if (type === 'file') {
      const content = await this.store.ingestFile(full);
      record.contentId = content.contentId;
      record.chunks = content.chunks;
      record.size = content.size;
    }
    return record;
  }

  deleteOf(rel: string, type: EntryType = 'file', renamedTo?: string): DeleteRecord {
    const time = Date.now();
    const record: DeleteRecord = { kind: 'delete', versionId: newVersionId(time), time, root: this.root, path: rel as LogPath, type };
    if (renamedTo) record.renamedTo = renamedTo as LogPath;
    return record;
  }

  /** Records each path's current state (a version, or a delete when it is gone). */
  async record(...rels: string[]): Promise<void> {
    const records: LogRecord[] = [];
    for (const rel of rels) records.push((await this.versionOf(rel)) ?? this.deleteOf(rel));
    await this.store.appendRecords(records);
  }

  /** Records a rename already done on disk (file or link). */
  async recordRename(from: string, to: string, type: EntryType = 'file'): Promise<void> {
    const version = await this.versionOf(to, { event: 'renamed', renamedFrom: from as LogPath });
    await this.store.appendRecords([this.deleteOf(from, type, to), version!]);
  }

  /** Records every entry below the source dir (parents before children), like an initial scan. */
  async recordAll(): Promise<number> {
    const rels: string[] = [];
    const walk = async (dir: string, prefix: string) => {
      for (const name of (await readdir(dir)).sort()) {
        const rel = prefix ? `${prefix}/${name}` : name;
        rels.push(rel);
        const st = await lstat(join(dir, name));
        if (st.isDirectory()) await walk(join(dir, name), rel);
      }
    };
    await walk(this.sourceDir, '');
    for (let i = 0; i < rels.length; i += 256) await this.record(...rels.slice(i, i + 256));
    return rels.length;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
