// The inotify watch limit (Linux): a live-watched folder needs one watch per directory (the watcher watches
// directories only, see src/watcher/watcher.ts watchRoot), and fs.inotify.max_user_watches caps them per user. When
// the folders need more than the limit leaves, say how many and how to raise it, before the watcher runs into it.
// Reads only; never changes the system setting.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ignore from 'ignore';
import { SERVICE_LIMITS } from '../util/limits.js';

export const MAX_USER_WATCHES_FILE = '/proc/sys/fs/inotify/max_user_watches';
/** The same limit for this user namespace (a container's): the lower of the two is the one a watcher meets. */
export const USER_NS_WATCHES_FILE = '/proc/sys/user/max_inotify_watches';

/** The system's limit (the lower of the two files), or undefined where there is none to read (not Linux). */
export async function readMaxUserWatches(file = MAX_USER_WATCHES_FILE, userNsFile = USER_NS_WATCHES_FILE): Promise<number | undefined> {
  const limits: number[] = [];
  for (const path of [file, userNsFile]) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    const n = text === undefined ? NaN : Number(text.trim());
    if (Number.isSafeInteger(n)) limits.push(n);
  }
  return limits.length === 0 ? undefined : Math.min(...limits);
}

/**
 * The inotify watches `folders` need (one per directory not excluded) and the limit they meet (undefined: none to
 * read, or no folder to watch). The one count behind `run --check`, the service's start and a watcher that ran out.
 */
export async function watchesNeeded(folders: readonly { path: string; exclude: readonly string[] }[]): Promise<{ needed: number; limit: number | undefined }> {
  if (folders.length === 0) return { needed: 0, limit: undefined };
  let needed = 0;
  for (const folder of folders) needed += (await countDirectories(folder.path, folder.exclude)).count;
  return { needed, limit: await readMaxUserWatches() };
}

/** Directories below (and including) `root` that are not excluded, counted up to `countMax`. */
export async function countDirectories(root: string, exclude: readonly string[], countMax: number = SERVICE_LIMITS.inotifyCountDirsMax): Promise<{ count: number; complete: boolean }> {
  const matcher = ignore({ allowRelativePaths: true, ignorecase: false }).add([...exclude]);
  let count = 0;
  const stack: string[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    count++;
    if (count >= countMax) return { count, complete: false };
    const entries = await readdir(rel === '' ? root : join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (!matcher.ignores(`${child}/`)) stack.push(child);
    }
  }
  return { count, complete: true };
}

/**
 * What to tell the operator, or undefined when the limit leaves room (a quarter spare for other programs). With
 * `hit` (a watcher already ran out of watches: other programs share the per-user limit) it is said whatever the
 * count, and the new limit leaves room for those programs too. `instead`: the way out other than raising it, as the
 * caller's user would write it (a config's `every`, by default).
 */
export function inotifyAdvice(needed: number, limit: number | undefined, options: { hit?: boolean; instead?: string } = {}): string | undefined {
  if (limit === undefined || (!options.hit && needed * 1.25 <= limit)) return undefined;
  const raiseTo = 2 ** Math.ceil(Math.log2(Math.max(needed * 2, options.hit ? limit * 2 : 0)));
  const what = options.hit ? 'out of inotify watches: ' : '';
  const shared = options.hit ? ' (shared with every other program of this user)' : '';
  return (
    `${what}the live folders have ${needed} directories, each needing an inotify watch, and fs.inotify.max_user_watches is ${limit}${shared}: ` +
    `raise it with \`sudo sysctl fs.inotify.max_user_watches=${raiseTo}\` and keep it with ` +
    `\`echo fs.inotify.max_user_watches=${raiseTo} | sudo tee /etc/sysctl.d/90-synclog.conf\`, ${options.instead ?? 'or snapshot the biggest folder with every = "1h"'}`
  );
}
