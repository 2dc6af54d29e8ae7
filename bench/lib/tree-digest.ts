// Content digests of directory trees: what the harness uses to prove a restored tree equals its source, and to name
// a corpus. Reads files; never writes.
// Invariant: two trees compare equal only if they hold the same relative paths with the same bytes (regular files
// and symlink targets); directories themselves and metadata are not compared.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  size: number;
  /** sha256 of the content (of the target, for a symlink). */
  sha256: string;
}

export type TreeDigest = Map<string, TreeEntry>;

const WHOLE_READ_BYTES_MAX = 8 * 1024 * 1024;

async function hashFile(path: string, size: number): Promise<string> {
  if (size <= WHOLE_READ_BYTES_MAX) return createHash('sha256').update(await readFile(path)).digest('hex');
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/**
 * Every file below `root` by '/'-separated relative path. `skip(name)` leaves out entries by name at any depth
 * (e.g. a receiver's own state directory).
 */
export async function hashTree(root: string, skip: (name: string) => boolean = () => false): Promise<TreeDigest> {
  const digest: TreeDigest = new Map();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (skip(entry.name)) continue;
      const path = join(dir, entry.name);
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(path, rel);
      else if (entry.isSymbolicLink()) {
        const target = await readlink(path);
        digest.set(rel, { size: target.length, sha256: `link:${target}` });
      } else if (entry.isFile()) {
        const { size } = await lstat(path);
        digest.set(rel, { size, sha256: await hashFile(path, size) });
      }
    }
  };
  await walk(root, '');
  return digest;
}

/** One hex string naming a whole tree's content. */
export function digestOf(tree: TreeDigest): string {
  const hash = createHash('sha256');
  for (const path of [...tree.keys()].sort()) {
    const entry = tree.get(path)!;
    hash.update(`${path}\0${entry.size}\0${entry.sha256}\n`);
  }
  return hash.digest('hex');
}

export interface TreeDifference {
  equal: boolean;
  missing: string[];
  extra: string[];
  changed: string[];
}

/** What differs between an expected tree and an actual one (first few paths of each kind, for the report). */
export function compareTrees(expected: TreeDigest, actual: TreeDigest, listMax = 5): TreeDifference {
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [path, entry] of expected) {
    const other = actual.get(path);
    if (!other) missing.push(path);
    else if (other.sha256 !== entry.sha256 || other.size !== entry.size) changed.push(path);
  }
  const extra = [...actual.keys()].filter((path) => !expected.has(path));
  const equal = missing.length === 0 && extra.length === 0 && changed.length === 0;
  return { equal, missing: missing.slice(0, listMax), extra: extra.slice(0, listMax), changed: changed.slice(0, listMax) };
}

/** Sum of file sizes and count. */
export function treeTotals(tree: TreeDigest): { fileCount: number; totalBytes: number } {
  let totalBytes = 0;
  for (const entry of tree.values()) totalBytes += entry.size;
  return { fileCount: tree.size, totalBytes };
}
