import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { parseTimeSpec } from '../../../src/receiver/index.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

describe('parseTimeSpec', () => {
  it('reads ISO 8601, epoch ms and the friendly forms', () => {
    expect(parseTimeSpec('2026-11-21T10:00:00Z', NOW)).toBe(Date.parse('2026-11-21T10:00:00Z'));
    expect(parseTimeSpec('2026-11-21T10:00:00.250+01:00', NOW)).toBe(Date.parse('2026-11-21T09:00:00.250Z'));
    expect(parseTimeSpec(String(NOW - 5), NOW)).toBe(NOW - 5);
    expect(parseTimeSpec('now', NOW)).toBe(NOW);
    expect(parseTimeSpec('yesterday', NOW)).toBe(NOW - 86_400_000);
    expect(parseTimeSpec('2h ago', NOW)).toBe(NOW - 7_200_000);
    expect(parseTimeSpec('30 min ago', NOW)).toBe(NOW - 1_800_000);
    expect(parseTimeSpec('45m ago', NOW)).toBe(NOW - 2_700_000);
    expect(parseTimeSpec('3 days ago', NOW)).toBe(NOW - 3 * 86_400_000);
    expect(parseTimeSpec('1 week ago', NOW)).toBe(NOW - 604_800_000);
    expect(parseTimeSpec('10 seconds ago', NOW)).toBe(NOW - 10_000);
    expect(new Date(parseTimeSpec('today', NOW)).getHours()).toBe(0);
  });

  it('refuses anything else with a UsageError', () => {
    for (const bad of ['', 'soon', '2 fortnights ago', '2026-13-45T99:00:00Z', 'in 2h']) {
      expect(() => parseTimeSpec(bad, NOW)).toThrow(UsageError);
    }
  });
});
