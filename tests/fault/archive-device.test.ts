// Fault model: character and block device entries (a /dev/sda node in a tarball): synclog records files, dirs and
// symlinks only, and extracting a device node is a privilege problem.
// Must survive: refused (reason device) and the log unchanged.
import { describe, it } from 'vitest';
import { HOSTILE } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged } from '../fixtures/archives/hostile-check.js';

describe('archive-device', () => {
  it('refuses a character device', async () => {
    await expectRefusedUnchanged(HOSTILE.device!, 'device');
  });

  it('refuses a block device after ordinary files', async () => {
    await expectRefusedUnchanged([{ name: 'ok.txt', data: 'ok' }, ...HOSTILE['block-device']!], 'device');
  });
});
