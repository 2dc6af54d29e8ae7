// `synclog stats` and the store side of `synclog verify` as a user runs them (the built CLI) on a log built here.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { prng, textLike, versionOf } from '../unit/store/store-fixtures.js';

async function buildStoreLog(logDir: string): Promise<{ chunkId: string; segment: string; offset: number }> {
  const store = await openStore(logDir, { workers: 0 });
  try {
    const text = await store.ingestStream((async function* () { yield textLike(200 * 1024, 1); })());
    const random = await store.ingestStream((async function* () { yield prng(300 * 1024, 2); })());
    const copy = await store.ingestStream((async function* () { yield textLike(200 * 1024, 1); })());
    await store.appendRecords([versionOf('docs', 'a.txt', text), versionOf('docs', 'b.bin', random), versionOf('docs', 'copy.txt', copy)]);
    const victim = random.chunks[0]!;
    const where = store.index.get(victim.id)!;
    return { chunkId: Buffer.from(victim.id).toString('hex'), segment: where.segment, offset: where.offset };
  } finally {
    await store.close();
  }
}

describe('synclog stats', () => {
  it('prints the log’s numbers as JSON and as a table', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    await buildStoreLog(logDir);
    const result = await runCli(['stats', '--log', logDir, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const stats = JSON.parse(result.stdout);
    expect(stats).toMatchObject({ versions: 3, paths: 3, logicalBytes: 700 * 1024, uniqueBytes: 500 * 1024, roots: ['docs'] });
    expect(stats.segments).toBeGreaterThanOrEqual(1);
    expect(stats.chunks).toBeGreaterThan(2);
    expect(stats.records).toBe(stats.chunks + 3 + 1); // three versions and the log's params record
    expect(stats.storedBytes).toBeLessThan(500 * 1024); // the text compressed
    const table = await runCli(['stats', '--log', logDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/versions\s+3/);
    expect(table.stdout).toMatch(/unique bytes\s+500\.0 KiB/);
  });

  it('has --help', async () => {
    const result = await runCli(['stats', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--log <dir>');
    expect(result.stdout).toContain('--json');
  });
});

describe('synclog verify on a store log', () => {
  it('is ok on a sound log and names a flipped chunk byte (exit 1)', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const victim = await buildStoreLog(logDir);
    const sound = await runCli(['verify', '--log', logDir, '--json']);
    expect(sound.code).toBe(0);
    expect(JSON.parse(sound.stdout)).toMatchObject({ ok: true, errors: [], versions: 3, unreferencedChunks: 0, missingChunks: [] });

    const handle = await open(join(logDir, victim.segment), 'r+');
    const byte = new Uint8Array(1);
    await handle.read(byte, 0, 1, victim.offset + 2000);
    byte[0]! ^= 0x10;
    await handle.write(byte, 0, 1, victim.offset + 2000);
    await handle.close();

    const damaged = await runCli(['verify', '--log', logDir, '--json']);
    expect(damaged.code).toBe(1);
    const report = JSON.parse(damaged.stdout);
    expect(report.ok).toBe(false);
    expect(report.errors).toContainEqual(expect.objectContaining({ segment: victim.segment, offset: victim.offset, chunk: victim.chunkId }));
    const text = await runCli(['verify', '--log', logDir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(victim.chunkId);
    expect(text.stdout).toContain(`${victim.segment} at offset ${victim.offset}`);
  });
});
