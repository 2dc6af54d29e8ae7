// Root naming: every watched directory gets a short, stable name that prefixes its paths for users
// (`data/config.json`). A name is the directory's basename, de-duplicated with a suffix (-2, -3…).
// Invariant: a name once given to a directory in a log (its WatchRecords say which) stays with that directory, and
// a new directory never takes a name the log already uses for another one (their histories would merge).
import { basename } from 'node:path';
import type { LogRecord } from '../record/index.js';
import { isValidLogPath } from '../util/log-path.js';

/** A name that is a single safe path component ('root' when the basename is unusable, e.g. for '/'). */
export function baseRootName(rootPath: string): string {
  const base = basename(rootPath);
  return isValidLogPath(base) && !base.includes('/') ? base : 'root';
}

/**
 * Names each root path. `known` maps root paths seen in the log before to their names (from WatchRecords, oldest
 * first; a later record for the same path wins). Pure.
 */
export function assignRootNames(rootPaths: readonly string[], known: ReadonlyMap<string, string> = new Map()): Map<string, string> {
  const taken = new Set(known.values());
  const names = new Map<string, string>();
  // Roots the log already knows keep their names first, so a new root can never take one.
  for (const rootPath of rootPaths) {
    const name = known.get(rootPath);
    if (name !== undefined) names.set(rootPath, name);
  }
  for (const rootPath of rootPaths) {
    if (names.has(rootPath)) continue;
    const base = baseRootName(rootPath);
    let name = base;
    for (let n = 2; taken.has(name) || [...names.values()].includes(name); n++) name = `${base}-${n}`;
    names.set(rootPath, name);
    taken.add(name);
  }
  return new Map(rootPaths.map((p) => [p, names.get(p)!]));
}

/** Root directory → name, from the WatchRecords in a log (a later record for the same directory wins). */
export async function knownRootsOf(entries: AsyncIterable<{ record: LogRecord }> | Iterable<{ record: LogRecord }>): Promise<Map<string, string>> {
  const known = new Map<string, string>();
  for await (const { record } of entries) {
    if (record.kind === 'watch') known.set(record.rootPath, record.root);
  }
  return known;
}
