// Fault model: an archive entry named with `..` components, meant to write outside the import root.
// Must survive: the import is refused (ArchiveError, reason dotdot, naming the entry) and the log is unchanged.
import { describe, expect, it } from 'vitest';
import { HOSTILE } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged, exportedEntries } from '../fixtures/archives/hostile-check.js';

describe('archive-dotdot', () => {
  it('refuses a plain tarball with a/../../escape.txt', async () => {
    const error = await expectRefusedUnchanged(HOSTILE.dotdot!, 'dotdot');
    expect(error.details.entry).toBe('a/../../escape.txt');
    expect(error.message).toContain('a/../../escape.txt');
  });

  it('refuses a leading ../ and a bare ..', async () => {
    await expectRefusedUnchanged([{ name: '../up.txt', data: 'x' }], 'dotdot');
    await expectRefusedUnchanged([{ name: '..', type: 'directory' }], 'dotdot');
  });

  it('refuses a dotdot entry after a valid synclog manifest', async () => {
    const entries = await exportedEntries();
    await expectRefusedUnchanged([...entries, { name: 'src/../../escape.txt', data: 'x' }], 'dotdot');
  });
});
