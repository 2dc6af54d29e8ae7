// Proves a restore before its speed is reported: the restored tree must hold exactly the source's paths and bytes.
// A restore that fails the check contributes no sample; the row says what differed.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupTool } from './backup-tool.js';
import { compareTrees, hashTree, type TreeDigest } from './tree-digest.js';

/** undefined when `target` (or where the tool puts the tree below it) equals `expected`; otherwise what differs. */
export async function checkRestore(tool: BackupTool, source: string, target: string, expected: TreeDigest): Promise<string | undefined> {
  const prefixes = tool.ownStatePrefixes ?? [];
  const skip = (name: string) => prefixes.some((prefix) => name.startsWith(prefix));
  const candidates = [tool.restoredRoot ? tool.restoredRoot(source, target) : target];
  // A receiver may put the tree under one directory named for the watch root: accept that layout too.
  const top = (await readdir(target, { withFileTypes: true }).catch(() => [])).filter((entry) => !skip(entry.name));
  if (top.length === 1 && top[0]!.isDirectory()) candidates.push(join(target, top[0]!.name));
  let last = 'nothing restored';
  for (const root of candidates) {
    const actual = await hashTree(root, skip).catch(() => undefined);
    if (!actual) continue;
    const difference = compareTrees(expected, actual);
    if (difference.equal) return undefined;
    last =
      `restored tree differs from the source (${actual.size} files vs ${expected.size}; ` +
      `missing ${difference.missing.join(', ') || 'none'}; extra ${difference.extra.join(', ') || 'none'}; ` +
      `changed ${difference.changed.join(', ') || 'none'})`;
  }
  return last;
}
