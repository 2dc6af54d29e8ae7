// Fault model: an archive cut short (an interrupted download or copy) at several offsets, from inside the gzip
// header to just before its trailer; and corrupt gzip (a flipped byte in the deflate stream).
// Must survive: refused (truncated / corrupt-gzip / corrupt-tar) and the log unchanged.
import { describe, expect, it } from 'vitest';
import { buildTarGz } from '../fixtures/archives/build-archive.js';
import { expectRefusedUnchanged, exportedEntries } from '../fixtures/archives/hostile-check.js';
import { noise } from '../fixtures/archives/test-log.js';

describe('archive-truncated-gzip', () => {
  it('refuses a synclog export cut at several offsets', async () => {
    const whole = await buildTarGz(await exportedEntries());
    for (const at of [3, 30, 600, Math.floor(whole.length / 3), Math.floor(whole.length / 2), whole.length - 20, whole.length - 4]) {
      await expectRefusedUnchanged(whole.subarray(0, at), 'truncated');
    }
  });

  it('refuses a plain tarball cut in the middle', async () => {
    const whole = await buildTarGz([{ name: 'a.bin', data: noise(200_000, 2) }, { name: 'b.txt', data: 'b' }]);
    await expectRefusedUnchanged(whole.subarray(0, Math.floor(whole.length * 0.6)), 'truncated');
  });

  it('refuses corrupt gzip data', async () => {
    const whole = Buffer.from(await buildTarGz([{ name: 'a.bin', data: noise(200_000, 2) }]));
    whole[whole.length - 6]! ^= 0xff; // the CRC/length trailer
    const error = await expectRefusedUnchanged(whole, 'corrupt-gzip');
    expect(error.message).toMatch(/corrupt gzip/);
  });
});
