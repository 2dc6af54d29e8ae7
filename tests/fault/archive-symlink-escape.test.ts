// Fault model: a symlink whose target leaves the archive root (../../x or /etc), alone or followed by an entry
// written through it (link/pwned.txt); and an entry below a symlink that stays inside.
// Must survive: refused (symlink-escape / through-symlink) with the log unchanged; --allow-symlink-escape accepts a
// plain escaping link as data, and never an entry through a link.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importArchive } from '../../src/archive/index.js';
import { HOSTILE, writeTarGz } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged, exportedEntries, manifestOf, withManifest } from '../fixtures/archives/hostile-check.js';
import { TestLog } from '../fixtures/archives/test-log.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('archive-symlink-escape', () => {
  it('refuses a symlink to ../../outside followed by a write through it', async () => {
    const error = await expectRefusedUnchanged(HOSTILE['symlink-escape']!, 'symlink-escape');
    expect(error.details).toMatchObject({ entry: 'link', target: '../../outside' });
  });

  it('refuses an absolute symlink', async () => {
    await expectRefusedUnchanged(HOSTILE['symlink-absolute']!, 'symlink-escape');
  });

  it('refuses an entry through an inside symlink', async () => {
    await expectRefusedUnchanged(HOSTILE['through-symlink']!, 'through-symlink');
  });

  it('refuses an escaping symlink in a synclog archive, even when the manifest agrees', async () => {
    const entries = await exportedEntries();
    const manifest = manifestOf(entries);
    for (const r of manifest.records) if (r.type === 'symlink') r.target = '../../../etc';
    const edited = withManifest(entries, manifest).map((e) => (e.type === 'symlink' ? { ...e, linkname: '../../../etc' } : e));
    await expectRefusedUnchanged(edited, 'symlink-escape');
  });

  it('with allowEscapingSymlinks, imports the escaping link as data but still refuses writing through it', async () => {
    const dir = await makeTmpDir();
    const log = await TestLog.open(join(dir, 'log'));
    const file = await writeTarGz(join(dir, 'links.tar.gz'), [{ name: 'etc', type: 'symlink', linkname: '/etc' }]);
    const result = await importArchive(log.store, file, { allowEscapingSymlinks: true });
    expect(result).toMatchObject({ kind: 'plain', versions: 1 });
    const latest = (await log.store.catalog()).latest('links', 'etc');
    expect(latest?.record).toMatchObject({ type: 'symlink', target: '/etc', event: 'imported' });
    await log.store.close();
    await expectRefusedUnchanged(HOSTILE['symlink-escape']!, 'through-symlink', { allowEscapingSymlinks: true });
  });
});
