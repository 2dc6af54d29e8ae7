// Fault model: an archive whose version id the log already uses for a different record (another path, content or
// time): skipping it as "already imported" would silently drop the archive's version.
// Must survive: refused (version-id-conflict) before anything is written; the log unchanged.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importArchive } from '../../src/archive/index.js';
import { ArchiveError } from '../../src/errors.js';
import { writeTarGz } from '../fixtures/archives/build-archive.js';
import { exportedEntries, manifestOf } from '../fixtures/archives/hostile-check.js';
import { TestLog, logState } from '../fixtures/archives/test-log.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('archive-version-id-conflict', () => {
  it('refuses a version id the log uses for another record', async () => {
    const entries = await exportedEntries();
    const taken = manifestOf(entries).records.find((r) => r.path === 'lib/big.bin')!.versionId as string;
    const dir = await makeTmpDir();
    const file = await writeTarGz(join(dir, 'a.tar.gz'), entries);
    const log = await TestLog.open(join(dir, 'log'));
    await log.file('other', 'unrelated.txt', 'same id, other record', { versionId: taken });
    const before = await logState(log.store);
    const error = await importArchive(log.store, file).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as ArchiveError).details).toMatchObject({ reason: 'version-id-conflict', entry: 'src/lib/big.bin' });
    expect(await logState(log.store)).toEqual(before);
    await log.store.close();
  });
});
