// Fault model: a synclog archive whose manifest and entries disagree: content altered (one flipped byte), an entry
// added, removed, reordered or of another type, a symlink retargeted, a content id or chunk list edited, a
// manifest that is not valid. Every difference must be caught before anything is written.
// Must survive: refused (manifest-mismatch / manifest-invalid) and the log unchanged.
import { describe, expect, it } from 'vitest';
import { expectRefusedUnchanged, exportedEntries, manifestOf, withManifest } from '../fixtures/archives/hostile-check.js';
import type { FixtureEntry } from '../fixtures/archives/build-archive.js';

let cached: FixtureEntry[] | undefined;
async function entries(): Promise<FixtureEntry[]> {
  cached ??= await exportedEntries();
  return cached.map((e) => ({ ...e }));
}
const isBig = (e: FixtureEntry) => e.name === 'src/lib/big.bin';

describe('archive-manifest-mismatch', () => {
  it('refuses one flipped content byte, naming the entry', async () => {
    const altered = (await entries()).map((e) => {
      if (!isBig(e)) return e;
      const data = Buffer.from(e.data as Uint8Array);
      data[123_456]! ^= 0x01;
      return { ...e, data };
    });
    const error = await expectRefusedUnchanged(altered, 'manifest-mismatch');
    expect(error.details.entry).toBe('src/lib/big.bin');
  });

  it('refuses content cut short or grown', async () => {
    const cut = (await entries()).map((e) => (isBig(e) ? { ...e, data: (e.data as Uint8Array).subarray(0, 1000) } : e));
    await expectRefusedUnchanged(cut, 'manifest-mismatch');
    const grown = (await entries()).map((e) => (isBig(e) ? { ...e, data: Buffer.concat([e.data as Uint8Array, Buffer.from('!')]) } : e));
    await expectRefusedUnchanged(grown, 'manifest-mismatch');
  });

  it('refuses an entry the manifest does not list', async () => {
    await expectRefusedUnchanged([...(await entries()), { name: 'src/extra.txt', data: 'smuggled' }], 'manifest-mismatch');
  });

  it('refuses a listed entry that is missing', async () => {
    await expectRefusedUnchanged((await entries()).filter((e) => !isBig(e)), 'manifest-mismatch');
  });

  it('refuses entries out of manifest order', async () => {
    const all = await entries();
    const [manifest, ...rest] = all;
    await expectRefusedUnchanged([manifest!, ...rest.reverse()], 'manifest-mismatch');
  });

  it('refuses an entry of another type, and a retargeted symlink', async () => {
    const asFile = (await entries()).map((e) => (e.type === 'symlink' ? { name: e.name, data: '../a.txt' } : e));
    await expectRefusedUnchanged(asFile, 'manifest-mismatch');
    const retargeted = (await entries()).map((e) => (e.type === 'symlink' ? { ...e, linkname: 'lib/big.bin' } : e));
    await expectRefusedUnchanged(retargeted, 'manifest-mismatch');
  });

  it('refuses a manifest whose content id or chunk list was edited', async () => {
    const all = await entries();
    const manifest = manifestOf(all);
    const big = manifest.records.find((r) => r.path === 'lib/big.bin')!;
    big.contentId = '0'.repeat(64);
    await expectRefusedUnchanged(withManifest(all, manifest), 'manifest-mismatch');
    const again = manifestOf(all);
    const chunks = again.records.find((r) => r.path === 'lib/big.bin')!.chunks as [string, number][];
    chunks.reverse();
    await expectRefusedUnchanged(withManifest(all, again), 'manifest-mismatch');
  });

  it('refuses an invalid manifest', async () => {
    const all = await entries();
    await expectRefusedUnchanged([{ ...all[0]!, data: '{"format":"synclog-archive","formatVersion":1,"records":[{"kind":"version"}]}' }, ...all.slice(1)], 'manifest-invalid');
    await expectRefusedUnchanged([{ ...all[0]!, data: 'not json' }, ...all.slice(1)], 'manifest-invalid');
  });
});
