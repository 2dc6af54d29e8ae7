// BufferPool (src/util/buffer-pool.ts): a free list of same-sized buffers. take() always gives one; takeBounded()
// gives a fixed set, made as first needed, and nothing beyond it, so a pool read into at once by many callers never
// grows past its bound.
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../src/util/buffer-pool.js';

describe('BufferPool', () => {
  it('take() reuses a given-back buffer and keeps at most idleMax idle ones', () => {
    const pool = new BufferPool(64, 1);
    const a = pool.take();
    const b = pool.take();
    expect(a).not.toBe(b);
    pool.give(a);
    pool.give(b); // beyond idleMax: dropped
    expect(pool.take()).toBe(a);
    expect(pool.take()).not.toBe(b);
    expect(() => pool.give(new Uint8Array(32))).toThrow(/wrong pool/);
  });

  it('takeBounded() makes at most idleMax buffers in all, then gives undefined until one comes back', () => {
    const pool = new BufferPool(64, 2);
    const a = pool.takeBounded();
    const b = pool.takeBounded();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(b).toBeInstanceOf(Uint8Array);
    expect(a).not.toBe(b);
    expect(pool.takeBounded()).toBeUndefined();
    pool.give(b!);
    expect(pool.takeBounded()).toBe(b);
    expect(pool.takeBounded()).toBeUndefined();
    pool.give(a!);
    pool.give(b!);
    const again = [pool.takeBounded(), pool.takeBounded(), pool.takeBounded()];
    expect(new Set(again)).toEqual(new Set([a, b, undefined]));
  });
});
