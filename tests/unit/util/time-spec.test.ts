import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { parseTimeSpec, tryParseTimeSpec } from '../../../src/util/time-spec.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

describe('time specs', () => {
  it.each([
    ['2026-11-21T10:00:00Z', Date.parse('2026-11-21T10:00:00Z')],
    ['2026-11-20', Date.parse('2026-11-20')],
    ['now', NOW],
    ['yesterday', NOW - 86_400_000],
    ['2h', NOW - 7_200_000],
    ['90s', NOW - 90_000],
    ['2h ago', NOW - 7_200_000],
    ['30 min ago', NOW - 1_800_000],
    ['3 days ago', NOW - 3 * 86_400_000],
    ['1w', NOW - 604_800_000],
    ['1795283115907', 1795283115907],
    // Bare numbers below 10^11 are Unix seconds, at or above milliseconds; @N is always seconds.
    ['1796169765', 1796169765_000],
    ['@1796169765', 1796169765_000],
    ['0', 0],
    ['99999999999', 99999999999_000],
    ['100000000000', 100000000000],
  ])('reads %j', (text, expected) => {
    expect(parseTimeSpec(text, NOW)).toBe(expected);
  });

  it('reads "today" as local midnight', () => {
    const midnight = new Date(NOW);
    midnight.setHours(0, 0, 0, 0);
    expect(parseTimeSpec('today', NOW)).toBe(midnight.getTime());
  });

  it.each(['', 'soon', '2 fortnights', 'Nov 21', '-5', '@', '12.5', '2026-13-45'])('refuses %j with a UsageError naming the forms', (text) => {
    expect(tryParseTimeSpec(text, NOW)).toBeUndefined();
    expect(() => parseTimeSpec(text, NOW, '--since')).toThrow(UsageError);
    expect(() => parseTimeSpec(text, NOW, '--since')).toThrow(/--since.*ISO 8601/);
  });
});
