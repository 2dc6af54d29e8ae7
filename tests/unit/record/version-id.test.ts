// Version ids: 12 hex digits of the time, then 8 of randomness; unique within a process even when thousands are made
// in one millisecond (the random part is drawn from a pool, 4 fresh bytes per id), and sortable by time.
import { describe, expect, it } from 'vitest';
import { isVersionId, newVersionId } from '../../../src/record/version-id.js';

describe('newVersionId', () => {
  it('gives 20,000 distinct well-formed ids within one millisecond, the time first', () => {
    const ids = Array.from({ length: 20_000 }, () => newVersionId(1_700_000_000_123));
    expect(ids.every(isVersionId)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith((1_700_000_000_123).toString(16).padStart(12, '0')))).toBe(true);
    // The random parts are spread, not counting up: most first hex digits appear.
    expect(new Set(ids.map((id) => id[12])).size).toBe(16);
  });

  it('sorts by time across milliseconds', () => {
    const a = newVersionId(1_000);
    const b = newVersionId(1_001);
    expect(a < b).toBe(true);
  });
});
