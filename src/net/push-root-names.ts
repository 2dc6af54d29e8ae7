// The names roots are pushed under (docs/protocol.md "Push": `--as`, and a config's `push[].as`): NAME renames every
// root, ROOT=NAME one root (it wins over a bare NAME). Owns checking each name is one path component.
import { UsageError } from '../errors.js';
import { isValidLogPath } from '../util/log-path.js';
import type { RootNames } from './push-batch.js';

function checkRootName(name: string, option: string): string {
  if (!isValidLogPath(name) || name.includes('/')) throw new UsageError(`${option} ${JSON.stringify(name)} is not a root name`, { fix: 'a root name is one path component, like docs or laptop-docs' });
  return name;
}

/** `NAME` renames every root; `ROOT=NAME` one root. `option` names where the values came from, for errors. */
export function parseRootNames(values: readonly string[], option = '--as'): RootNames | undefined {
  if (values.length === 0) return undefined;
  const byRoot = new Map<string, string>();
  let every: string | undefined;
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      if (every !== undefined) throw new UsageError(`${option} NAME (for every root) given twice`, { fix: `use ${option} ROOT=NAME for each root` });
      every = checkRootName(value, option);
    } else {
      byRoot.set(checkRootName(value.slice(0, eq), option), checkRootName(value.slice(eq + 1), option));
    }
  }
  return (root) => byRoot.get(root) ?? every ?? root;
}
