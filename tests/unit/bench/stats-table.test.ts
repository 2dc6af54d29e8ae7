// Summaries and the markdown table of the benchmark harness: medians, ratios with the unit's direction, and rows
// whose tool did not run.
import { describe, expect, it } from 'vitest';
import type { BenchRow } from '../../../bench/lib/bench-row.js';
import { megabytesPerSecond, pairedRatio, ratioOf, summarize } from '../../../bench/lib/stats.js';
import { formatNumber, renderTable } from '../../../bench/lib/table.js';

describe('bench stats', () => {
  it('summarises odd and even sample counts by median, min, max', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, count: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, count: 4 });
    expect(summarize([])).toBeUndefined();
  });

  it('calls synclog better by the unit direction', () => {
    const fast = summarize([200])!;
    const slow = summarize([100])!;
    expect(ratioOf(fast, slow, true)).toEqual({ value: 2, synclogBetter: true });
    expect(ratioOf(fast, slow, false)).toEqual({ value: 2, synclogBetter: false });
    expect(ratioOf(fast, undefined, true)).toBeUndefined();
    expect(megabytesPerSecond(50_000_000, 2)).toBe(25);
  });

  it('pairs per-run ratios only when both tools have one sample per run', () => {
    expect(pairedRatio([2, 4, 9], [1, 1, 3])).toBe(3);
    expect(pairedRatio([2, 4], [1, 1, 3])).toBeUndefined();
    expect(pairedRatio([2], [1])).toBeUndefined();
  });

  it('refuses non-finite samples', () => {
    expect(() => summarize([1, Number.NaN])).toThrow(/not finite/);
  });
});

describe('bench table', () => {
  const row: BenchRow = {
    name: 'initial ingest',
    unit: 's',
    higherIsBetter: false,
    series: [
      { tool: 'synclog', samples: [2, 4, 3] },
      { tool: 'restic', samples: [6, 6, 7] },
      { tool: 'borg', samples: [], note: 'not installed' },
    ],
  };

  it('prints one line per tool with median, min, max, runs and the ratio', () => {
    const lines = renderTable([row]).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('| initial ingest | s | synclog | 3.00 | 2.00 | 4.00 | 3 |  |  |');
    expect(lines[3]).toBe('|  |  | restic | 6.00 | 6.00 | 7.00 | 3 | 0.50× (synclog better; per run 0.43×) |  |');
    expect(lines[4]).toBe('|  |  | borg | — | — | — | 0 | n/a | not installed |');
  });

  it('formats numbers with about three significant digits', () => {
    expect(formatNumber(123456.7)).toBe('123,457');
    expect(formatNumber(56.78)).toBe('56.8');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(0)).toBe('0');
  });
});

describe('bench report', () => {
  it('names the date, machine, commit and cache state above the table', async () => {
    const { renderReport } = await import('../../../bench/lib/results-file.js');
    const text = renderReport({
      startedAt: new Date('2026-01-02T03:04:00Z'),
      durationSeconds: 90,
      mode: 'quick',
      runs: 3,
      machine: { cpuModel: 'Test CPU', cores: 2, memoryBytes: 2 ** 31, diskFs: 'ext4 on /dev/x', kernel: '6.1', node: 'v20', commit: 'abc123', dirty: false, loadAverage: [0.1, 0.2, 0.3] },
      loadAverageAfter: [0.4, 0.5, 0.6],
      cache: 'cold',
      data: ['corpus'],
      tools: [{ name: 'restic', version: '0.14', settings: 'defaults' }],
      rows: [],
      remarks: ['a remark'],
    });
    expect(text).toContain('2026-01-02 03:04 UTC');
    expect(text).toContain('Test CPU, 2 cores, 2.0 GiB memory, disk ext4 on /dev/x');
    expect(text).toContain('Commit: abc123');
    expect(text).toContain('Cache: cold');
    expect(text).toContain(TABLE_HEADER_FIRST_LINE);
    expect(text).toContain('- a remark');
  });
});

const TABLE_HEADER_FIRST_LINE = '| Measurement | Unit | Tool | Median | Min | Max | Runs | synclog ÷ tool | Note |';
