// A tree as data, for comparing a source folder with a receiver's destination byte for byte: type, content hash,
// permission bits, mtime (whole ms) and link targets, keyed by '/'-separated relative path.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  mtimeMs?: number;
  sha256?: string;
  size?: number;
  target?: string;
}

export interface SnapshotOptions {
  /** Top-level names to leave out (e.g. '.synclog-receiver', '.versions'). */
  exclude?: readonly string[];
  /** Compare directory mtimes too (default false: writing a child changes a directory's mtime). */
  dirMtimes?: boolean;
}

export async function snapshotTree(root: string, options: SnapshotOptions = {}): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {};
  const exclude = new Set(options.exclude ?? []);
  async function walk(dir: string, prefix: string): Promise<void> {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (prefix === '' && exclude.has(name)) continue;
      const full = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const st = await lstat(full);
      if (st.isSymbolicLink()) {
        out[rel] = { type: 'symlink', target: await readlink(full), mtimeMs: Math.floor(st.mtimeMs) };
      } else if (st.isDirectory()) {
        out[rel] = { type: 'dir', mode: st.mode & 0o7777, ...(options.dirMtimes ? { mtimeMs: Math.floor(st.mtimeMs) } : {}) };
        await walk(full, rel);
      } else {
        const bytes = await readFile(full);
        out[rel] = { type: 'file', mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      }
    }
  }
  await walk(root, '');
  return out;
}
