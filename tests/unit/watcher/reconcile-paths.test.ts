import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { absolutePathOf } from '../../../src/watcher/reconcile.js';

describe('absolutePathOf', () => {
  it('is what path.join gives for a log path below a resolved root, without normalising it again', () => {
    for (const root of ['/tmp/data', '/', '/srv/a b/ü']) {
      for (const rel of ['f', 'a/b/c.txt', 'dir with space/x', '.hidden/..x', 'ü/€.md']) {
        expect(absolutePathOf({ path: root }, rel)).toBe(join(root, ...rel.split('/')));
      }
    }
  });
});
