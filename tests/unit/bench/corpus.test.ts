// The benchmark corpus is deterministic from its seed: same spec, same bytes, on any machine; a different seed gives
// different bytes. A small (2 MB) spec keeps this fast.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureCorpus, writeCorpus } from '../../../bench/lib/corpus.js';
import { CORPUS_SPECS, planCorpus } from '../../../bench/lib/corpus-plan.js';
import { digestOf, hashTree } from '../../../bench/lib/tree-digest.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const spec = CORPUS_SPECS.test;

describe('benchmark corpus', () => {
  it('writes the same bytes twice from the same seed, and its digest matches a fresh hash of the tree', async () => {
    const dir = await makeTmpDir();
    const first = await writeCorpus(spec, join(dir, 'a'));
    const second = await writeCorpus(spec, join(dir, 'b'));
    expect(second.digest).toBe(first.digest);
    expect(digestOf(await hashTree(join(dir, 'a')))).toBe(first.digest);
    expect(first.fileCount).toBe(spec.fileCount);
  });

  it('matches the pinned digest, so every machine and Node version benchmarks the same bytes', async () => {
    // If the generator changes on purpose, bump CORPUS_GENERATOR_VERSION (bench/lib/corpus.ts) and update this value.
    const manifest = await writeCorpus(spec, await makeTmpDir());
    expect(manifest.digest).toBe('55dae9d18c891c602a1712fee067b3b3645fca12d72df52a2866f3c3e4a8b750');
    expect(manifest.totalBytes).toBe(2_085_860);
  });

  it('gives different bytes for a different seed', async () => {
    const dir = await makeTmpDir();
    const first = await writeCorpus(spec, join(dir, 'a'));
    const other = await writeCorpus({ ...spec, seed: spec.seed + 1 }, join(dir, 'b'));
    expect(other.digest).not.toBe(first.digest);
  });

  it('lands near the target size and holds exact duplicates, edited copies, text and binaries', async () => {
    const dir = await makeTmpDir();
    const manifest = await writeCorpus(spec, dir);
    expect(manifest.totalBytes).toBeGreaterThan(spec.totalBytes * 0.75);
    expect(manifest.totalBytes).toBeLessThan(spec.totalBytes * 1.25);
    const kinds = new Set(planCorpus(spec).map((file) => file.content.kind));
    expect([...kinds].sort()).toEqual(['binary', 'duplicate', 'near-duplicate', 'text']);
    const tree = await hashTree(dir);
    const contents = new Map<string, number>();
    for (const entry of tree.values()) if (entry.size > 0) contents.set(entry.sha256, (contents.get(entry.sha256) ?? 0) + 1);
    expect([...contents.values()].some((count) => count > 1)).toBe(true);
    expect(new Set([...tree.keys()].map((path) => path.split('/').length)).size).toBeGreaterThan(2);
  });

  it('reuses a cached corpus and regenerates one whose files were tampered with', async () => {
    const dir = await makeTmpDir();
    const first = await ensureCorpus(spec, dir);
    expect(first.generated).toBe(true);
    const again = await ensureCorpus(spec, dir);
    expect(again.generated).toBe(false);
    expect(again.digest).toBe(first.digest);
    const { rm } = await import('node:fs/promises');
    const victim = [...(await hashTree(first.root)).keys()][0]!;
    await rm(join(first.root, ...victim.split('/')));
    const regenerated = await ensureCorpus(spec, dir);
    expect(regenerated.generated).toBe(true);
    expect(digestOf(await hashTree(regenerated.root))).toBe(first.digest);
  });
});
