// Fault model: a decompression bomb by size: an archive that unpacks to more than the configured total
// (maxBytes / --max-bytes; default LIMITS.archiveBytesMaxDefault).
// Must survive: refused (bomb-size) while streaming, before anything is written; the log unchanged.
import { describe, expect, it } from 'vitest';
import { expectRefusedUnchanged } from '../fixtures/archives/hostile-check.js';
import { noise } from '../fixtures/archives/test-log.js';

describe('archive-bomb-size', () => {
  it('refuses an archive unpacking past maxBytes', async () => {
    const error = await expectRefusedUnchanged([{ name: 'big.bin', data: noise(3 * 1024 * 1024, 9) }], 'bomb-size', { maxBytes: 1024 * 1024 });
    expect(error.details).toMatchObject({ limit: 'maxBytes', max: 1024 * 1024 });
  });

  it('counts every entry toward the total, not one at a time', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `f${i}.bin`, data: noise(64 * 1024, i + 1) }));
    await expectRefusedUnchanged(many, 'bomb-size', { maxBytes: 2 * 1024 * 1024 });
  });
});
