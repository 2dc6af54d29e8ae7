// Fault model: one byte of a stored chunk flips on disk (bit rot, a bad copy) after the log was written and closed.
// What must hold: reading the version that uses it fails with CorruptionError naming the chunk id, segment and
// offset; other versions still read; verify reports the chunk (and where) and is not ok. Nothing is "repaired".
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/errors.js';
import { contentIdHex, openStore, type IngestedContent } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng, versionOf } from '../unit/store/store-fixtures.js';

async function flipByte(file: string, position: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const byte = new Uint8Array(1);
    await handle.read(byte, 0, 1, position);
    byte[0]! ^= 0x20;
    await handle.write(byte, 0, 1, position);
  } finally {
    await handle.close();
  }
}

describe('a flipped byte inside a stored chunk', () => {
  it('fails the read with CorruptionError naming the chunk, and verify reports it', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const store = await openStore(logDir, { workers: 0 });
    const stream = (seed: number) => (async function* () { yield prng(600 * 1024, seed); })();
    const victim: IngestedContent = await store.ingestStream(stream(1));
    const bystander: IngestedContent = await store.ingestStream(stream(2));
    await store.appendRecords([versionOf('r', 'victim.bin', victim), versionOf('r', 'bystander.bin', bystander)]);
    const target = victim.chunks[1]!;
    const where = store.index.get(target.id)!;
    await store.close();

    // Random content is stored raw: a byte 1000 bytes into the frame is chunk data.
    await flipByte(join(logDir, where.segment), where.offset + 1000);

    const reader = await openStore(logDir, { readOnly: true });
    try {
      const error = await collect(reader.readContent(victim.chunks)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptionError);
      const details = (error as CorruptionError).details;
      expect(details).toMatchObject({ chunk: contentIdHex(target.id), file: where.segment, offset: where.offset });
      expect((error as Error).message).toContain(contentIdHex(target.id));
      expect((await collect(reader.readContent(bystander.chunks))).equals(Buffer.from(prng(600 * 1024, 2)))).toBe(true);

      const report = await reader.verify();
      expect(report.ok).toBe(false);
      expect(report.errors).toContainEqual(expect.objectContaining({ segment: where.segment, offset: where.offset, chunk: contentIdHex(target.id) }));
      expect(report.errors.some((e) => e.reason.includes(contentIdHex(target.id)))).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('is caught by the chunk hash even when the frame checksum was made to match (hostile or buggy writer)', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const store = await openStore(logDir, { workers: 0 });
    const good = await store.ingestStream((async function* () { yield prng(40 * 1024, 5); })());
    // A chunk record whose bytes do not hash to its id, written through the normal append path.
    const forgedId = good.chunks[0]!.id.slice();
    forgedId[0]! ^= 0xff;
    await store.appendRecords([{ kind: 'chunk', id: forgedId, codec: 'raw', size: 40 * 1024, data: prng(40 * 1024, 5) }]);
    const error = await store.readChunk(forgedId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptionError);
    expect((error as CorruptionError).details).toMatchObject({ chunk: contentIdHex(forgedId), reason: 'chunk-hash-mismatch' });
    const user = { ...good, contentId: forgedId, chunks: [{ id: forgedId, size: 40 * 1024 }] };
    await store.appendRecords([versionOf('r', 'forged.bin', user)]);
    const report = await store.verify();
    expect(report.ok).toBe(false);
    expect(report.errors).toContainEqual(expect.objectContaining({ chunk: contentIdHex(forgedId) }));
    // The version's chunk is in the log, only damaged: verify must say so, not call it missing.
    const about = report.errors.filter((e) => e.reason.includes('forged.bin'));
    expect(about).toHaveLength(1);
    expect(about[0]!.reason).toContain('damaged');
    expect(about[0]!.reason).not.toContain('not in the log');
    await store.close();
  });
});
