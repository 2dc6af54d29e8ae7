// Fault model: a decompression bomb by ratio: a small gzip that unpacks hundreds of times larger (zeros), caught
// by the unpacked/packed ratio (maxRatio / --max-ratio; default LIMITS.archiveRatioMaxDefault) long before the
// size limit would be reached.
// Must survive: refused (bomb-ratio) while streaming; the log unchanged.
import { describe, expect, it } from 'vitest';
import { expectRefusedUnchanged } from '../fixtures/archives/hostile-check.js';

describe('archive-bomb-ratio', () => {
  it('refuses 16 MiB of zeros at a ratio limit of 100', async () => {
    const error = await expectRefusedUnchanged([{ name: 'zeros', data: Buffer.alloc(16 * 1024 * 1024) }], 'bomb-ratio', { maxRatio: 100 });
    expect(error.details).toMatchObject({ limit: 'maxRatio', max: 100 });
    expect(error.details.value as number).toBeGreaterThanOrEqual(100);
  });

  it('refuses it at the default ratio limit too', async () => {
    await expectRefusedUnchanged([{ name: 'zeros', data: Buffer.alloc(24 * 1024 * 1024) }], 'bomb-ratio');
  });
});
