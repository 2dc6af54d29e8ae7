// What a sync node knows about its one folder (docs/sync.md): every record of every path (its own and its peers'),
// and the shadow, the record whose state the folder holds per path. Owns sync-shadow.json (derived data: temp file,
// fsync, rename; a lost or stale one is corrected from the log and the folder at start).
// Never decides what to write: resolvePath does, the applier writes.
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryRecord } from '../record/index.js';
import type { CatalogApi, StoredRecord } from '../store/index.js';
import { writeFileAtomic } from '../util/fs-durable.js';
import { SYNC_LIMITS } from '../util/limits.js';
import { resolveInside } from '../util/log-path.js';
import { entriesWithMoves, resolveWithMoves, type MoveGraphSource } from './move-graph.js';
import type { PathResolution, SyncEntry } from './version-graph.js';

export const SHADOW_FILE_NAME = 'sync-shadow.json';

interface ShadowFile {
  format: 1;
  root: string;
  /** path → version id the folder held there. */
  paths: Record<string, string>;
}

export class SyncState {
  private readonly entries = new Map<string, SyncEntry[]>();
  private readonly stored = new Map<string, StoredRecord<EntryRecord>>();
  private readonly shadow = new Map<string, StoredRecord<EntryRecord>>();
  /** Moves by their tombstones: new path → old paths, old path → new paths. */
  private readonly movedInto = new Map<string, Set<string>>();
  private readonly movedOutOf = new Map<string, Set<string>>();
  private readonly graph: MoveGraphSource = {
    entriesAt: (path) => this.entries.get(path) ?? [],
    renamedInto: (path) => this.movedInto.get(path) ?? [],
    holds: (versionId) => this.stored.has(versionId),
  };
  private dirty = false;

  constructor(
    readonly root: string,
    readonly nodeId: string,
    private readonly logDir: string,
  ) {}

  /** Every record of the root from the catalog (log order), then the shadow as docs/sync.md "Restarts" says. */
  static async load(catalog: CatalogApi, root: string, nodeId: string, logDir: string, folder: string): Promise<SyncState> {
    const state = new SyncState(root, nodeId, logDir);
    for (const p of catalog.paths()) {
      if (p.root !== root) continue;
      for (const stored of catalog.history(root, p.path)) state.add(stored);
    }
    const saved = await readShadowFile(join(logDir, SHADOW_FILE_NAME), root);
    for (const path of state.entries.keys()) await state.restoreShadow(path, saved.get(path), folder);
    return state;
  }

  private async restoreShadow(path: string, savedId: string | undefined, folder: string): Promise<void> {
    const history = entriesWithMoves(path, this.graph);
    const disk = await lstat(resolveInside(folder, path)).catch(() => undefined);
    const matches = (record: EntryRecord): boolean => {
      if (record.kind === 'delete') return disk === undefined;
      if (!disk) return false;
      if (record.type === 'dir') return disk.isDirectory();
      if (record.type === 'symlink') return disk.isSymbolicLink();
      return disk.isFile() && disk.size === record.size && Math.abs(disk.mtimeMs - record.mtimeMs) < 1;
    };
    const saved = savedId === undefined ? undefined : history.find((e) => e.record.versionId === savedId);
    const winner = this.resolve(path).winner;
    const newest = history[history.length - 1];
    const match = [saved, winner, ...[...history].reverse()].find((e) => e !== undefined && matches(e.record));
    if (match) return this.setShadow(path, this.storedOf(match));
    // The folder changed while the node was down: it held the saved record or what this node recorded last there.
    const ownNewest = [...history].reverse().find((e) => e.node === this.nodeId);
    const known = [saved, ownNewest].filter((e): e is SyncEntry => e !== undefined).sort((a, b) => b.seq - a.seq)[0];
    // Nothing there, and nothing says this node ever held the path: it never did (a peer's record came in and the
    // node was killed before writing it). Taking the newest record as held would make the watcher record its
    // absence as a delete of it, which the peers then apply: the applier writes it instead.
    if (!known && !disk) return this.forgetShadow(path);
    const base = known ?? newest;
    if (base) this.setShadow(path, this.storedOf(base));
  }

  /** A record of this root appended to the log (own or a peer's). Returns false for a version id already held. */
  add(stored: StoredRecord<EntryRecord>): boolean {
    const record = stored.record;
    if (this.stored.has(record.versionId)) return false;
    this.stored.set(record.versionId, stored);
    const entry: SyncEntry = { record, node: record.origin?.log ?? this.nodeId, seq: stored.seq };
    const list = this.entries.get(record.path);
    if (list) list.push(entry);
    else this.entries.set(record.path, [entry]);
    if (record.kind === 'delete' && record.renamedTo !== undefined) {
      link(this.movedInto, record.renamedTo, record.path);
      link(this.movedOutOf, record.path, record.renamedTo);
    }
    return true;
  }

  has(versionId: string): boolean {
    return this.stored.has(versionId);
  }

  hasPath(path: string): boolean {
    return this.entries.has(path);
  }

  record(versionId: string): StoredRecord<EntryRecord> | undefined {
    return this.stored.get(versionId);
  }

  /** Every record held, in no particular order. */
  records(): Iterable<EntryRecord> {
    return [...this.stored.values()].map((s) => s.record);
  }

  paths(): string[] {
    return [...this.entries.keys()];
  }

  /** The path's winner, conflicts and wait, moves included (docs/sync.md "Renames and folder moves"). */
  resolve(path: string): PathResolution {
    return resolveWithMoves(path, this.graph);
  }

  /** Every entry competing at the path: its own records and edits carried to it by moves. */
  entriesOf(path: string): SyncEntry[] {
    return entriesWithMoves(path, this.graph);
  }

  /** The stored record of an entry, as held at the entry's path (an edit carried by a move is held at the new one). */
  storedOf(entry: SyncEntry): StoredRecord<EntryRecord> {
    const stored = this.stored.get(entry.record.versionId)!;
    return stored.record.path === entry.record.path ? stored : { ...stored, record: entry.record };
  }

  /** `path` and every path it was moved to, transitively: a record of `path` can change what those resolve to. */
  withMoveTargets(path: string): string[] {
    const out = [path];
    for (let i = 0; i < out.length && out.length <= SYNC_LIMITS.moveChainMax; i++) {
      for (const to of this.movedOutOf.get(out[i]!) ?? []) if (!out.includes(to)) out.push(to);
    }
    return out;
  }

  shadowOf(path: string): StoredRecord<EntryRecord> | undefined {
    return this.shadow.get(path);
  }

  setShadow(path: string, stored: StoredRecord<EntryRecord>): void {
    this.shadow.set(path, stored);
    this.dirty = true;
  }

  forgetShadow(path: string): void {
    this.shadow.delete(path);
    this.dirty = true;
  }

  /** Writes sync-shadow.json when it changed (temp file, fsync, rename). */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const file: ShadowFile = { format: 1, root: this.root, paths: Object.fromEntries([...this.shadow].map(([path, s]) => [path, s.record.versionId])) };
    await writeFileAtomic(join(this.logDir, SHADOW_FILE_NAME), Buffer.from(JSON.stringify(file)));
  }
}

function link(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

/** The saved shadow (path → version id); empty when missing, unreadable or of another root (it is derived data). */
async function readShadowFile(file: string, root: string): Promise<Map<string, string>> {
  try {
    const info = await lstat(file);
    if (!info.isFile() || info.size > SYNC_LIMITS.shadowFileBytesMax) return new Map();
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<ShadowFile>;
    if (parsed.format !== 1 || parsed.root !== root || typeof parsed.paths !== 'object' || parsed.paths === null) return new Map();
    return new Map(Object.entries(parsed.paths).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
  } catch {
    return new Map();
  }
}
