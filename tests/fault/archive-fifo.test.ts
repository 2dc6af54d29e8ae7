// Fault model: a fifo entry (opening one blocks a reader forever).
// Must survive: refused (reason fifo) and the log unchanged.
import { describe, it } from 'vitest';
import { HOSTILE } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged } from '../fixtures/archives/hostile-check.js';

describe('archive-fifo', () => {
  it('refuses a fifo', async () => {
    await expectRefusedUnchanged(HOSTILE.fifo!, 'fifo');
  });

  it('refuses a fifo deep in a tree', async () => {
    await expectRefusedUnchanged([{ name: 'd', type: 'directory' }, { name: 'd/x.txt', data: 'x' }, { name: 'd/pipe', type: 'fifo' }], 'fifo');
  });
});
