// The common face of every tool the harness times on the same data: synclog's CLI and its peers (restic, borg, git,
// rsync). Each adapter turns "back up this tree", "restore the latest tree", "how big is the repository" into that
// tool's own commands with its default settings. Adapters never time anything themselves; scenarios do.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface BackupTool {
  readonly name: string;
  /** Set when the tool cannot run here (not installed, command missing): rows show this instead of numbers. */
  readonly unavailable?: string;
  /** Version string, for the results file. */
  readonly version?: string;
  /** Settings that differ from the tool's defaults, or that matter to a reader of the results. */
  readonly settings: string;
  /** Creates an empty repository at `repo` (untimed). */
  init(repo: string): Promise<void>;
  /** Records the current state of `source` as a new snapshot/commit named `label` (the timed step). */
  backup(repo: string, source: string, label: string): Promise<void>;
  /** Work a user runs to get the repository to its stored size (git gc); timed with the history. */
  compact?(repo: string): Promise<void>;
  /** Bytes the repository takes (apparent size of every file under it). */
  storedBytes(repo: string): Promise<number>;
  /** Undefined when the tool cannot restore (git here) or is unavailable for restore. */
  readonly restore?: (repo: string, source: string, target: string) => Promise<void>;
  /** Where, below a restore target, the restored tree's root lands (restic keeps the absolute source path). */
  restoredRoot?(source: string, target: string): string;
  /** Name prefixes (at any depth) of the tool's own state in a restore target, left out of the equality check. */
  readonly ownStatePrefixes?: readonly string[];
}

/** Apparent size of every file below `dir` (what `du -sb` counts, without directory entries). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) await walk(child);
      else total += (await lstat(child)).size;
    }
  };
  await walk(dir);
  return total;
}
