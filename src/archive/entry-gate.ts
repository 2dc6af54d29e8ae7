// The per-archive half of the hostile-entry gate: what one entry can only be judged against the entries before it
// (duplicates, a file used as a directory, paths through a symlink, hard links to unknown or escaping entries) and
// the entry types synclog refuses (devices, fifos). Names go through archive-entry-path.ts first.
// Never: reads content or touches the file system. Invariant: every entry it admits has a unique, gated path whose
// parents are directories (or implicit) and never symlinks, and every link it admits stays inside the archive root.
import type { Header } from 'tar-stream';

/** A header as read: other tools write fields tar-stream's types call required as missing or null. */
type Headers = Partial<Header> & { name: string; type?: string | null };
import { LIMITS } from '../util/limits.js';
import type { LogPath } from '../util/log-path.js';
import { archiveEntryPath, hardlinkTargetPath, refuseEntry, symlinkTargetInside } from './archive-entry-path.js';

export type AdmittedType = 'file' | 'dir' | 'symlink' | 'hardlink';

/** An entry that passed the gate, with the header facts synclog uses. */
export interface AdmittedEntry {
  /** The raw name as written in the archive (for messages). */
  name: string;
  path: LogPath;
  type: AdmittedType;
  /** Content bytes that follow the header (0 for everything but files). */
  size: number;
  mode: number;
  mtimeMs: number;
  uid: number;
  gid: number;
  owner?: string;
  /** Symlink target (as written), or the gated path of a hard link's target. */
  target?: string;
}

export interface EntryGateOptions {
  /** Accept symlinks whose target leaves the archive root (stored as data, never followed). Default false. */
  allowEscapingSymlinks?: boolean;
}

export class EntryGate {
  private readonly seen = new Map<string, AdmittedType>();
  private entryCount = 0;

  constructor(
    private readonly archive: string,
    private readonly options: EntryGateOptions = {},
  ) {}

  get count(): number {
    return this.entryCount;
  }

  /** Judges one header. Returns undefined for the archive root entry (`./`), which carries nothing. */
  admit(header: Headers): AdmittedEntry | undefined {
    const name = String(header.name);
    this.entryCount += 1;
    if (this.entryCount > LIMITS.archiveEntriesMax) {
      refuseEntry(this.archive, name, 'too-many-entries', `more than ${LIMITS.archiveEntriesMax} entries`);
    }
    const type = this.admittedType(name, header);
    const path = archiveEntryPath(name, this.archive);
    if (path === undefined) {
      if (type !== 'dir') refuseEntry(this.archive, name, 'unsafe-path', 'a non-directory entry names the archive root');
      return undefined;
    }
    this.checkParents(name, path);
    if (this.seen.has(path)) refuseEntry(this.archive, name, 'duplicate-path', `a second entry for ${path}`);
    const entry: AdmittedEntry = {
      name,
      path,
      type,
      size: type === 'file' ? Number(header.size ?? 0) : 0,
      mode: Number(header.mode ?? 0) & 0o7777,
      mtimeMs: header.mtime instanceof Date ? header.mtime.getTime() : 0,
      uid: Number(header.uid ?? 0),
      gid: Number(header.gid ?? 0),
    };
    if (header.uname) entry.owner = header.uname;
    if (type === 'symlink') entry.target = this.symlinkTarget(name, path, header.linkname);
    if (type === 'hardlink') entry.target = this.hardlinkTarget(name, header.linkname);
    this.seen.set(path, type);
    return entry;
  }

  private admittedType(name: string, header: Headers): AdmittedType {
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
      case undefined:
      case null:
        return 'file';
      case 'directory':
        return 'dir';
      case 'symlink':
        return 'symlink';
      case 'link':
        return 'hardlink';
      case 'character-device':
      case 'block-device':
        return refuseEntry(this.archive, name, 'device', `${header.type} entries are refused`);
      case 'fifo':
        return refuseEntry(this.archive, name, 'fifo', 'fifo entries are refused');
      default:
        return refuseEntry(this.archive, name, 'unsupported-type', `unsupported entry type ${String(header.type)}`);
    }
  }

  /** Every parent must be a directory seen before or not seen at all (tar may omit parents), never a file or link. */
  private checkParents(name: string, path: LogPath): void {
    let at = path.indexOf('/');
    while (at >= 0) {
      const parent = path.slice(0, at);
      const type = this.seen.get(parent);
      if (type === 'symlink') refuseEntry(this.archive, name, 'through-symlink', `its parent ${parent} is a symlink`);
      if (type !== undefined && type !== 'dir') refuseEntry(this.archive, name, 'not-a-directory', `its parent ${parent} is not a directory`);
      at = path.indexOf('/', at + 1);
    }
  }

  private symlinkTarget(name: string, path: LogPath, linkname: unknown): string {
    const target = typeof linkname === 'string' ? linkname : '';
    if (target === '' || Buffer.byteLength(target) > LIMITS.symlinkTargetBytesMax || target.includes('\0')) {
      refuseEntry(this.archive, name, 'unsafe-path', 'symlink with an empty, oversized or NUL-bearing target', { target });
    }
    if (!this.options.allowEscapingSymlinks && !symlinkTargetInside(path, target)) {
      refuseEntry(this.archive, name, 'symlink-escape', `symlink target ${JSON.stringify(target)} leaves the archive root`, {
        target,
        fix: 'if you trust this archive, import with --allow-symlink-escape (the link is recorded, never followed)',
      });
    }
    return target;
  }

  private hardlinkTarget(name: string, linkname: unknown): string {
    const target = hardlinkTargetPath(name, linkname, this.archive);
    const type = this.seen.get(target);
    if (type === undefined) refuseEntry(this.archive, name, 'hardlink-unknown', `hard link to ${target}, which is not an earlier entry`, { target });
    if (type !== 'file' && type !== 'hardlink') refuseEntry(this.archive, name, 'hardlink-escape', `hard link to ${target}, which is not a regular file`, { target });
    return target;
  }
}
