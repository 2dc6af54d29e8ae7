// The explorer's export on a damaged log opened with --skip-damaged (issue 13 item 5): the archive leaves out the
// version whose content is not intact and the status text says so, naming it; without the flag the export fails
// with the CorruptionError (shown as an error by the explorer) and writes no archive.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../src/errors.js';
import { createArchiveOps } from '../../../src/explorer/index.js';
import type { VersionItem } from '../../../src/explorer/model/index.js';
import { openStore } from '../../../src/store/index.js';
import { makeDamagedStore } from '../../helpers/damaged-store.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

describe('explorer export on a damaged log', () => {
  it('with skipDamaged leaves the unreadable version out and names it; without, fails and writes nothing', async () => {
    const f = await makeDamagedStore();
    const store = await openStore(f.logDir, { readOnly: true, workers: 0, skipDamaged: true });
    try {
      const catalog = await store.catalog();
      // The newest version in the log: the tree at its time holds every file.
      const newest = catalog
        .paths()
        .flatMap((p) => catalog.history(p.root, p.path))
        .filter((e) => e.record.kind === 'version')
        .sort((a, b) => b.seq - a.seq)[0] as VersionItem;
      const dir = await makeTmpDir();
      const plain = join(dir, 'plain.tar.gz');
      await expect(createArchiveOps(store, f.logDir).exportArchive({ kind: 'tree', version: newest, archivePath: plain })).rejects.toBeInstanceOf(CorruptionError);
      await expect(access(plain)).rejects.toThrow();
      const text = await createArchiveOps(store, f.logDir, undefined, true).exportArchive({ kind: 'tree', version: newest, archivePath: join(dir, 'skip.tar.gz') });
      expect(text).toMatch(/^Exported \d+ versions .*; left out 1 unreadable \(damaged log\): /);
      expect(text).toContain(`tree/${f.victim} @ ${f.victimVersionId}`);
    } finally {
      await store.close();
    }
  });
});
