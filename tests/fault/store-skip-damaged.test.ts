// Fault model: one byte flipped inside a chunk record of a closed log (storage damage). What must hold (issue 13
// item 5, store part): a read-only store opened with skipDamaged reads every intact version, lists the skipped
// region once, and reading the content whose chunk was in it fails with a typed CorruptionError for that content
// only, while every other file's content reads back exact; without the flag the store stops at the damage; a
// writer refuses the flag.
import { describe, expect, it } from 'vitest';
import { CorruptionError, UsageError } from '../../src/errors.js';
import { openStore, type VersionRecord } from '../../src/store/index.js';
import { makeDamagedStore } from '../helpers/damaged-store.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

describe('store skip damaged (--skip-damaged)', () => {
  it('reads past a damaged chunk: the other files are exact, the damaged one is a typed error, the region is listed', async () => {
    const fixture = await makeDamagedStore();
    const plain = await openStore(fixture.logDir, { readOnly: true, workers: 0 });
    try {
      await expect(plain.catalog()).rejects.toBeInstanceOf(CorruptionError);
      expect(plain.skipped()).toEqual([]);
    } finally {
      await plain.close();
    }

    const store = await openStore(fixture.logDir, { readOnly: true, workers: 0, skipDamaged: true });
    try {
      const versions: VersionRecord[] = [];
      for await (const stored of store.entries({ kinds: ['version'] })) if (stored.record.kind === 'version' && stored.record.type === 'file') versions.push(stored.record);
      expect(versions.map((v) => v.path).sort()).toEqual([...fixture.files.keys()].sort());
      for (const version of versions) {
        const read = collect(store.readContent(version.chunks ?? []));
        if (version.path === fixture.victim) {
          const error = await read.then(() => undefined, (e: unknown) => e);
          expect(error).toBeInstanceOf(CorruptionError);
          expect((error as CorruptionError).details).toMatchObject({ chunk: expect.any(String), reason: expect.stringMatching(/^chunk-(in-skipped-region|record-damaged)$/) });
        } else {
          expect((await read).equals(fixture.files.get(version.path)!)).toBe(true);
        }
      }
      expect(store.skipped()).toEqual([
        expect.objectContaining({ segment: fixture.damagedAt.segment, offset: fixture.damagedAt.offset, seqFrom: fixture.damagedAt.seq, seqTo: fixture.damagedAt.seq }),
      ]);
    } finally {
      await store.close();
    }
  });

  it('a writer refuses skipDamaged', async () => {
    const fixture = await makeDamagedStore();
    await expect(openStore(fixture.logDir, { skipDamaged: true, workers: 0 })).rejects.toBeInstanceOf(UsageError);
  });
});
