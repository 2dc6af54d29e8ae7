// The dedup index: exact 32-byte ids, growth, and its memory budget (≤ 64 bytes per chunk at scale).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkIndex, hashContent } from '../../../src/store/index.js';

describe('chunk index', () => {
  it('finds what was added and nothing else, across growth', () => {
    const index = new ChunkIndex();
    const ids = Array.from({ length: 5000 }, (_, i) => hashContent(new TextEncoder().encode(`chunk ${i}`)));
    ids.forEach((id, i) => expect(index.add(id, { segment: `seg${i % 3}`, offset: i * 10, size: i })).toBe(true));
    expect(index.add(ids[7]!, { segment: 'other', offset: 1, size: 1 })).toBe(false);
    expect(index.count).toBe(5000);
    ids.forEach((id, i) => expect(index.get(id)).toEqual({ segment: `seg${i % 3}`, offset: i * 10, size: i }));
    expect(index.has(hashContent(new TextEncoder().encode('absent')))).toBe(false);
    expect(index.uniqueBytes).toBe((4999 * 5000) / 2);
  });

  it('tells ids apart that share their first bytes (full ids are compared)', () => {
    const index = new ChunkIndex();
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(1);
    b[31] = 2;
    index.add(a, { segment: 's', offset: 1, size: 1 });
    expect(index.has(b)).toBe(false);
    index.add(b, { segment: 's', offset: 2, size: 1 });
    expect(index.get(b)?.offset).toBe(2);
    expect(index.get(a)?.offset).toBe(1);
  });

  it('stays within 64 bytes per indexed chunk at scale', () => {
    const index = new ChunkIndex();
    const pool = randomBytes(32 * 300_000);
    for (let i = 0; i < 300_000; i++) index.add(pool.subarray(i * 32, i * 32 + 32), { segment: 's', offset: i, size: 65536 });
    const perChunk = index.memoryBytes / index.count;
    expect(perChunk).toBeLessThanOrEqual(64);
    expect([...index.entries()].length).toBe(300_000);
  });
});
