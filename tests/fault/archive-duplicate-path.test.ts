// Fault model: two entries for one path (same.txt and ./same.txt; a file and a dir of one name): which one wins
// would depend on the extractor, so an archive is ambiguous; also a file later used as a directory.
// Must survive: refused (duplicate-path / not-a-directory) and the log unchanged.
import { describe, it } from 'vitest';
import { HOSTILE } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged, exportedEntries } from '../fixtures/archives/hostile-check.js';

describe('archive-duplicate-path', () => {
  it('refuses same.txt twice, spelled differently', async () => {
    await expectRefusedUnchanged(HOSTILE['duplicate-path']!, 'duplicate-path');
  });

  it('refuses a directory and a file of one name', async () => {
    await expectRefusedUnchanged([{ name: 'x/', type: 'directory' }, { name: 'x', data: 'file' }], 'duplicate-path');
  });

  it('refuses a file used as a directory', async () => {
    await expectRefusedUnchanged([{ name: 'f', data: 'file' }, { name: 'f/inner', data: 'x' }], 'not-a-directory');
  });

  it('refuses a repeated entry in a synclog archive', async () => {
    const entries = await exportedEntries();
    const file = entries.find((e) => e.type === 'file' && e.name.startsWith('src/'))!;
    await expectRefusedUnchanged([...entries, file], 'duplicate-path');
  });
});
