// Retention policies: hand-computed cases, then fast-check against a reference model written differently (group
// by bucket, take the newest buckets) over random histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, checkPolicy, keptVersions, type HistoryEntry, type RetentionPolicy } from '../../../src/retention/index.js';
import { requireDurationMs } from '../../../src/util/duration.js';
import { UsageError } from '../../../src/errors.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2026, 0, 5); // a Monday

function history(times: number[], deleteAt?: number): HistoryEntry[] {
  const entries: HistoryEntry[] = times.map((time, i) => ({ versionId: `v${i}`, time, kind: 'version' }));
  if (deleteAt !== undefined) entries.splice(deleteAt, 0, { versionId: 'del', time: times[deleteAt - 1] ?? 0, kind: 'delete' });
  return entries;
}

const sorted = (set: Set<string>) => [...set].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

describe('keptVersions, hand-computed', () => {
  it('--keep-last 2 keeps the two newest', () => {
    expect(sorted(keptVersions(history([T0, T0 + H, T0 + 2 * H, T0 + 3 * H]), { keepLast: 2 }, T0 + 10 * D))).toEqual(['v2', 'v3']);
  });

  it('--keep-daily 2: the newest version of each of the two newest days that have one', () => {
    // day 0: v0 v1; day 1: none; day 2: v2 v3; day 3: v4
    const h = history([T0 + 1 * H, T0 + 5 * H, T0 + 2 * D + H, T0 + 2 * D + 9 * H, T0 + 3 * D]);
    expect(sorted(keptVersions(h, { keepDaily: 2 }, T0 + 10 * D))).toEqual(['v3', 'v4']);
    expect(sorted(keptVersions(h, { keepDaily: 3 }, T0 + 10 * D))).toEqual(['v1', 'v3', 'v4']);
  });

  it('--keep-hourly 3 with two versions in one hour keeps the later of them', () => {
    const h = history([T0, T0 + H + 60_000, T0 + H + 120_000, T0 + 2 * H, T0 + 3 * H]);
    expect(sorted(keptVersions(h, { keepHourly: 3 }, T0 + D))).toEqual(['v2', 'v3', 'v4']);
  });

  it('--keep-weekly counts ISO weeks (Monday to Sunday, UTC)', () => {
    const sunday = T0 - D + 23 * H; // Sunday 2026-01-04 23:00, the week before
    const h = history([sunday - 3 * D, sunday, T0 + H, T0 + 6 * D]);
    expect(bucketOf('weekly', sunday)).toBe(bucketOf('weekly', sunday - 3 * D));
    expect(bucketOf('weekly', T0)).toBe(bucketOf('weekly', sunday) + 1);
    expect(sorted(keptVersions(h, { keepWeekly: 2 }, T0 + 30 * D))).toEqual(['v1', 'v3']);
  });

  it('--keep-monthly 2 over three months', () => {
    const h = history([Date.UTC(2026, 0, 3), Date.UTC(2026, 0, 30), Date.UTC(2026, 1, 2), Date.UTC(2026, 2, 31, 23)]);
    expect(sorted(keptVersions(h, { keepMonthly: 2 }, Date.UTC(2026, 5, 1)))).toEqual(['v2', 'v3']);
  });

  it('--keep-within 2d keeps what is less than two days before now, and the rules add up', () => {
    const now = T0 + 10 * D;
    const h = history([now - 5 * D, now - 3 * D, now - 2 * D, now - 2 * D + 1, now - H]);
    expect(sorted(keptVersions(h, { keepWithinMs: 2 * D }, now))).toEqual(['v3', 'v4']);
    expect(sorted(keptVersions(h, { keepWithinMs: 2 * D, keepLast: 4 }, now))).toEqual(['v1', 'v2', 'v3', 'v4']);
  });

  it('always keeps the newest version of a live path, even when no rule would', () => {
    const now = T0 + 100 * D;
    expect(sorted(keptVersions(history([T0, T0 + H]), { keepWithinMs: D }, now))).toEqual(['v1']);
  });

  it('a deleted path: nothing is forced (its delete record is not a version and is never forgotten)', () => {
    const now = T0 + 100 * D;
    const h = history([T0, T0 + H], 2);
    expect(h[h.length - 1]!.kind).toBe('delete');
    expect(keptVersions(h, { keepWithinMs: D }, now).size).toBe(0);
    expect(sorted(keptVersions(h, { keepLast: 1 }, now))).toEqual(['v1']);
  });

  it('refuses an empty policy and bad numbers; parses durations', () => {
    expect(() => checkPolicy({})).toThrow(UsageError);
    expect(() => checkPolicy({ keepLast: 0 })).toThrow(UsageError);
    expect(() => checkPolicy({ keepDaily: -1 })).toThrow(UsageError);
    expect(() => checkPolicy({ keepDaily: 1.5 })).toThrow(UsageError);
    expect(requireDurationMs('30d')).toBe(30 * D);
    expect(requireDurationMs('1d12h')).toBe(36 * H);
    expect(() => requireDurationMs('30')).toThrow(UsageError);
    expect(() => requireDurationMs('d')).toThrow(UsageError);
  });
});

/** The reference model: per rule, group versions by bucket, take the newest N buckets, keep each one's newest. */
function reference(entries: readonly HistoryEntry[], policy: RetentionPolicy, nowMs: number): Set<string> {
  const versions = entries.filter((e) => e.kind === 'version').reverse(); // newest first
  const kept = new Set<string>();
  if (entries.length > 0 && entries[entries.length - 1]!.kind === 'version') kept.add(entries[entries.length - 1]!.versionId);
  for (const v of versions.slice(0, policy.keepLast ?? 0)) kept.add(v.versionId);
  for (const v of versions) if (policy.keepWithinMs !== undefined && nowMs - v.time < policy.keepWithinMs) kept.add(v.versionId);
  const rules = [
    ['hourly', policy.keepHourly],
    ['daily', policy.keepDaily],
    ['weekly', policy.keepWeekly],
    ['monthly', policy.keepMonthly],
  ] as const;
  for (const [unit, n] of rules) {
    if (!n) continue;
    // restic walks newest first and starts a bucket whenever the value changes: runs of equal buckets, not sets.
    const runs: HistoryEntry[][] = [];
    for (const v of versions) {
      const last = runs[runs.length - 1];
      if (last && bucketOf(unit, last[0]!.time) === bucketOf(unit, v.time)) last.push(v);
      else runs.push([v]);
    }
    for (const run of runs.slice(0, n)) kept.add(run[0]!.versionId);
  }
  return kept;
}

const arbHistory = fc
  .array(fc.record({ gapMs: fc.integer({ min: 0, max: 40 * D }), del: fc.boolean() }), { minLength: 0, maxLength: 40 })
  .map((steps) => {
    let time = T0;
    return steps.map((s, i): HistoryEntry => {
      time += s.gapMs;
      return { versionId: `v${i}`, time, kind: s.del && i > 0 ? 'delete' : 'version' };
    });
  });

const arbPolicy = fc.record(
  {
    keepLast: fc.integer({ min: 0, max: 6 }),
    keepHourly: fc.integer({ min: 0, max: 6 }),
    keepDaily: fc.integer({ min: 0, max: 6 }),
    keepWeekly: fc.integer({ min: 0, max: 6 }),
    keepMonthly: fc.integer({ min: 0, max: 6 }),
    keepWithinMs: fc.integer({ min: 0, max: 60 * D }),
  },
  { requiredKeys: [] },
);

describe('keptVersions, fast-check', () => {
  it('is exactly the reference model', () => {
    fc.assert(
      fc.property(arbHistory, arbPolicy, fc.integer({ min: 0, max: 400 * D }), (h, policy, after) => {
        const now = T0 + after;
        expect(sorted(keptVersions(h, policy, now))).toEqual(sorted(reference(h, policy, now)));
      }),
      { numRuns: 500 },
    );
  });

  it('never loses a live path\'s newest version, keeps only versions, and more of a rule never keeps less', () => {
    fc.assert(
      fc.property(arbHistory, arbPolicy, fc.constantFrom('keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly'), (h, policy, rule) => {
        const kept = keptVersions(h, policy, T0 + 50 * D);
        const last = h[h.length - 1];
        if (last?.kind === 'version') expect(kept.has(last.versionId)).toBe(true);
        const versionIds = new Set(h.filter((e) => e.kind === 'version').map((e) => e.versionId));
        for (const id of kept) expect(versionIds.has(id)).toBe(true);
        const more = keptVersions(h, { ...policy, [rule]: (policy[rule] ?? 0) + 1 }, T0 + 50 * D);
        for (const id of kept) expect(more.has(id)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
