// The harness accepts part benchmarks' rows in BenchRow shape (and the obvious near misses), and refuses the rest
// instead of printing garbage.
import { describe, expect, it } from 'vitest';
import { normalizeRow } from '../../../bench/lib/bench-modules.js';

describe('bench module rows', () => {
  it('keeps a BenchRow and prefixes the part', () => {
    const row = { name: 'appends', unit: 'records/s', higherIsBetter: true, series: [{ tool: 'synclog', samples: [1, 2] }, { tool: 'machine', samples: [3], note: 'raw' }] };
    expect(normalizeRow(row, 'log')).toEqual({ ...row, name: 'log: appends' });
  });

  it('accepts a single value or top-level samples, guessing the direction from the unit', () => {
    expect(normalizeRow({ name: 'x', unit: 'MB/s', value: 5 }, 'store')).toEqual({ name: 'store: x', unit: 'MB/s', higherIsBetter: true, series: [{ tool: 'synclog', samples: [5] }] });
    expect(normalizeRow({ name: 'y', unit: 's', samples: [1, 2] }, 'store')?.higherIsBetter).toBe(false);
  });

  it('refuses rows without a name or with non-numeric samples', () => {
    expect(normalizeRow({ unit: 's', value: 1 }, 'p')).toBeUndefined();
    expect(normalizeRow({ name: 'z', series: [{ tool: 't', samples: ['1'] }] }, 'p')).toBeUndefined();
    expect(normalizeRow({ name: 'z', samples: [Number.NaN] }, 'p')).toBeUndefined();
    expect(normalizeRow(null, 'p')).toBeUndefined();
  });
});
