// An in-memory catalog for model tests: builds CatalogPath summaries and histories from records the test writes,
// the way the store's catalog does from the log. Real component and e2e tests use the real store instead.
import type { CatalogPath, EntryItem, ExplorerCatalog, VersionItem } from '../../../src/explorer/model/index.js';
import type { DeleteRecord, EntryRecord, VersionRecord } from '../../../src/record/types.js';
import type { LogPath } from '../../../src/util/log-path.js';

let nextSeq = 0;
let clock = Date.UTC(2024, 0, 1, 12, 0, 0);

export function versionRecord(display: string, fields: Partial<VersionRecord> = {}): VersionRecord {
  const at = display.indexOf('/');
  clock += 1000;
  const time = fields.time ?? clock;
  return {
    kind: 'version',
    versionId: time.toString(16).padStart(12, '0') + (nextSeq++).toString(16).padStart(8, '0'),
    time,
    root: display.slice(0, at),
    path: display.slice(at + 1) as LogPath,
    type: 'file',
    event: 'modified',
    size: 10,
    mtimeMs: time,
    mode: 0o644,
    uid: 1000,
    gid: 1000,
    owner: 'alice',
    contentId: new Uint8Array(32),
    chunks: [],
    ...fields,
  };
}

export function deleteRecord(display: string, fields: Partial<DeleteRecord> = {}): DeleteRecord {
  const at = display.indexOf('/');
  clock += 1000;
  return {
    kind: 'delete',
    versionId: clock.toString(16).padStart(12, '0') + (nextSeq++).toString(16).padStart(8, '0'),
    time: clock,
    root: display.slice(0, at),
    path: display.slice(at + 1) as LogPath,
    type: 'file',
    ...fields,
  };
}

export class MemoryCatalog implements ExplorerCatalog {
  private readonly items: EntryItem[] = [];
  private pending: EntryRecord[] = [];
  /** Version ids a forget would have named (forget()). */
  private readonly forgottenIds = new Set<string>();

  constructor(records: EntryRecord[] = []) {
    this.add(records);
  }

  get nextSeq(): number {
    return this.items.length;
  }

  add(records: EntryRecord[]): void {
    for (const record of records) this.items.push({ seq: this.items.length, segment: 'mem', offset: 0, record });
  }

  forget(versionId: string): void {
    this.forgottenIds.add(versionId);
  }

  isForgotten(versionId: string): boolean {
    return this.forgottenIds.has(versionId);
  }

  /** Records that appear only after the next refresh() (another process appending). */
  appendLater(records: EntryRecord[]): void {
    this.pending.push(...records);
  }

  async refresh(): Promise<number> {
    const count = this.pending.length;
    this.add(this.pending);
    this.pending = [];
    return count;
  }

  paths(): CatalogPath[] {
    const byDisplay = new Map<string, CatalogPath>();
    for (const item of this.items) {
      const display = `${item.record.root}/${item.record.path}`;
      const known = byDisplay.get(display);
      byDisplay.set(display, {
        root: item.record.root,
        path: item.record.path,
        display,
        count: (known?.count ?? 0) + 1,
        latest: item,
        deleted: item.record.kind === 'delete',
      });
    }
    return [...byDisplay.values()].sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  }

  history(root: string, path: string): EntryItem[] {
    return this.items.filter((item) => item.record.root === root && item.record.path === path);
  }

  findVersion(prefix: string): EntryItem | undefined {
    return this.items.find((item) => item.record.versionId.startsWith(prefix));
  }

  latest(root: string, path: string): EntryItem | undefined {
    return this.history(root, path).at(-1);
  }

  treeAt(at: { timeMs?: number; atSeq?: number }): Map<string, VersionItem> {
    const tree = new Map<string, VersionItem>();
    for (const item of this.items) {
      if (at.timeMs !== undefined && item.record.time > at.timeMs) continue;
      if (at.atSeq !== undefined && item.seq > at.atSeq) continue;
      const display = `${item.record.root}/${item.record.path}`;
      if (item.record.kind === 'delete') tree.delete(display);
      else tree.set(display, item as VersionItem);
    }
    return tree;
  }
}

/** `count` catalog paths spread over folders, without building records through a catalog (fast). */
export function manyPaths(count: number): CatalogPath[] {
  const out: CatalogPath[] = [];
  for (let i = 0; i < count; i++) {
    const display = `root/dir${String(i % 100).padStart(3, '0')}/sub${String(Math.floor(i / 100) % 10)}/file${String(i).padStart(6, '0')}.txt`;
    const record = versionRecord(display, { time: 1_700_000_000_000 + i });
    out.push({ root: record.root, path: record.path, display, count: (i % 5) + 1, latest: { seq: i, segment: 'mem', offset: 0, record }, deleted: false });
  }
  return out.sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
}
