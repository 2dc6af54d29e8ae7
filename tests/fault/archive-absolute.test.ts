// Fault model: an archive entry with an absolute name (/etc/…, C:/…), meant to write anywhere on the machine.
// Must survive: the import is refused (ArchiveError, reason absolute) and the log is unchanged.
import { describe, it } from 'vitest';
import { HOSTILE } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged, exportedEntries } from '../fixtures/archives/hostile-check.js';

describe('archive-absolute', () => {
  it('refuses /etc/synclog-pwned in a plain tarball', async () => {
    await expectRefusedUnchanged(HOSTILE.absolute!, 'absolute');
  });

  it('refuses a windows drive path', async () => {
    await expectRefusedUnchanged([{ name: 'C:/Windows/pwned.txt', data: 'x' }], 'absolute');
  });

  it('refuses an absolute entry after a valid synclog manifest', async () => {
    const entries = await exportedEntries();
    await expectRefusedUnchanged([...entries, { name: '/tmp/pwned.txt', data: 'x' }], 'absolute');
  });
});
