// Rename detection: an entry that vanished and an entry that appeared in the same root within the rename window are
// one move when (directories) they are the same inode, (files) they have the same content id and size, or
// (symlinks) the same target. Pure. Among content matches the same inode wins, then the same file name (a folder
// moved whole), so a new file that merely reused a deleted file's inode is never taken for a move.
// Invariant: each candidate is used in at most one pair.
import type { EntryType } from '../record/index.js';

export interface RenameCandidate {
  key: string;
  root: string;
  path: string;
  type: EntryType;
  /** Inode when known (always for an appeared entry; from the last lstat for a vanished one). */
  ino?: number;
  contentId?: string;
  size: number;
  target?: string;
}

export interface RenamePairs<G extends RenameCandidate, A extends RenameCandidate> {
  pairs: { gone: G; added: A }[];
  gone: G[];
  added: A[];
}

function fileName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function contentKey(c: RenameCandidate): string | undefined {
  if (c.type === 'file' && c.contentId !== undefined) return `${c.root}\0f\0${c.contentId}\0${c.size}`;
  if (c.type === 'symlink' && c.target !== undefined) return `${c.root}\0l\0${c.target}`;
  return undefined;
}

/** Pairs vanished entries with appeared ones. `added` must hold only paths that are new (not live in the log). */
export function pairRenames<G extends RenameCandidate, A extends RenameCandidate>(gone: readonly G[], added: readonly A[]): RenamePairs<G, A> {
  const pairs: { gone: G; added: A }[] = [];
  const used = new Set<A>();
  const byIno = new Map<string, A>();
  const byContent = new Map<string, A[]>();
  for (const a of added) {
    if (a.type === 'dir' && a.ino !== undefined) byIno.set(`${a.root}\0${a.ino}`, a);
    const ck = contentKey(a);
    if (ck !== undefined) byContent.set(ck, [...(byContent.get(ck) ?? []), a]);
  }
  const stillGone: G[] = [];
  for (const g of gone) {
    let match: A | undefined;
    if (g.type === 'dir') {
      // A directory has no content to compare: only its inode says it moved.
      match = g.ino !== undefined ? byIno.get(`${g.root}\0${g.ino}`) : undefined;
      if (match && used.has(match)) match = undefined;
    } else {
      // Files and links must match by content: an inode alone may have been reused by an unrelated new file.
      const ck = contentKey(g);
      const options = ck === undefined ? [] : (byContent.get(ck) ?? []).filter((a) => !used.has(a));
      match =
        options.find((o) => g.ino !== undefined && o.ino === g.ino) ??
        options.find((o) => fileName(o.path) === fileName(g.path)) ??
        options[0];
    }
    if (match) {
      used.add(match);
      pairs.push({ gone: g, added: match });
    } else {
      stillGone.push(g);
    }
  }
  return { pairs, gone: stillGone, added: added.filter((a) => !used.has(a)) };
}
