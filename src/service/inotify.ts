// The inotify watch limit (Linux): a live-watched folder needs one watch per directory (the watcher watches
// directories only, see src/watcher/watcher.ts watchRoot), and fs.inotify.max_user_watches caps them per user. When
// the folders need more than the limit leaves, say how many and how to raise it, before the watcher runs into it.
// Reads only; never changes the system setting.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ignore from 'ignore';
import { SERVICE_LIMITS } from '../util/limits.js';

export const MAX_USER_WATCHES_FILE = '/proc/sys/fs/inotify/max_user_watches';

/** The system's limit, or undefined where there is none to read (not Linux). */
export async function readMaxUserWatches(file = MAX_USER_WATCHES_FILE): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isSafeInteger(n) ? n : undefined;
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

/** What to tell the operator, or undefined when the limit leaves room (a quarter spare for other programs). */
export function inotifyAdvice(needed: number, limit: number | undefined): string | undefined {
  if (limit === undefined || needed * 1.25 <= limit) return undefined;
  const raiseTo = 2 ** Math.ceil(Math.log2(needed * 2));
  return (
    `the live folders have ${needed} directories, each needing an inotify watch, and fs.inotify.max_user_watches is ${limit}: ` +
    `raise it with \`sudo sysctl fs.inotify.max_user_watches=${raiseTo}\` and keep it with ` +
    `\`echo fs.inotify.max_user_watches=${raiseTo} | sudo tee /etc/sysctl.d/90-synclog.conf\`, or snapshot the biggest folder with every = "1h"`
  );
}
