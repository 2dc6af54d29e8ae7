// Fault model: a hard link entry whose target is outside the archive (../../etc/passwd, /etc/passwd), names no
// earlier entry, or names a directory: on extraction it would link (and then overwrite) a file elsewhere.
// Must survive: refused (hardlink-escape / hardlink-unknown) and the log unchanged.
import { describe, expect, it } from 'vitest';
import { HOSTILE } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged } from '../fixtures/archives/hostile-check.js';

describe('archive-hardlink-escape', () => {
  it('refuses a hard link to ../../../etc/passwd', async () => {
    const error = await expectRefusedUnchanged(HOSTILE['hardlink-escape']!, 'hardlink-escape');
    expect(error.details.entry).toBe('passwd');
  });

  it('refuses a hard link to /etc/passwd', async () => {
    await expectRefusedUnchanged(HOSTILE['hardlink-absolute']!, 'hardlink-escape');
  });

  it('refuses a hard link to an entry that comes later or never', async () => {
    await expectRefusedUnchanged([{ name: 'early', type: 'link', linkname: 'late' }, { name: 'late', data: 'x' }], 'hardlink-unknown');
  });

  it('refuses a hard link to a directory', async () => {
    await expectRefusedUnchanged([{ name: 'd', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }], 'hardlink-escape');
  });
});
