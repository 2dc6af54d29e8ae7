// Retention policies (docs/format.md "Retention"): which versions of one path a policy keeps. Pure: a history in,
// the kept version ids out; no I/O, no clock (the caller passes `nowMs`, the clock of the host holding the log).
// Semantics are restic's `forget`: each --keep-<unit> N keeps the newest version in each of the N newest buckets
// that hold a version, counted back from the newest version; --keep-last N the N newest; --keep-within D every
// version less than D old. Buckets are UTC (hour, day, ISO week, month), so the answer does not depend on the zone.
// Invariant: the newest version of a live path is always kept; delete records are never forgotten.
import { UsageError } from '../errors.js';
import { requireDurationMs } from '../util/duration.js';

export interface RetentionPolicy {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  /** Keep every version recorded less than this long before `nowMs`. */
  keepWithinMs?: number;
}

/** One record of one path's history, in log order (oldest first). */
export interface HistoryEntry {
  versionId: string;
  /** ms since the epoch, as recorded. */
  time: number;
  kind: 'version' | 'delete';
}

export const BUCKET_UNITS = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type BucketUnit = (typeof BUCKET_UNITS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The bucket a time falls in, as a number that is equal exactly for times in the same bucket. */
export function bucketOf(unit: BucketUnit, timeMs: number): number {
  switch (unit) {
    case 'hourly':
      return Math.floor(timeMs / HOUR_MS);
    case 'daily':
      return Math.floor(timeMs / DAY_MS);
    case 'weekly': {
      // ISO weeks start on Monday; 1970-01-01 was a Thursday, so day 4 after the epoch is the first Monday.
      return Math.floor((Math.floor(timeMs / DAY_MS) - 4) / 7);
    }
    case 'monthly': {
      const date = new Date(timeMs);
      return date.getUTCFullYear() * 12 + date.getUTCMonth();
    }
  }
}

function countOf(policy: RetentionPolicy, unit: BucketUnit): number | undefined {
  switch (unit) {
    case 'hourly':
      return policy.keepHourly;
    case 'daily':
      return policy.keepDaily;
    case 'weekly':
      return policy.keepWeekly;
    case 'monthly':
      return policy.keepMonthly;
  }
}

/** Throws UsageError for a policy that keeps nothing by rule or has a bad number (restic refuses an empty one too). */
export function checkPolicy(policy: RetentionPolicy): void {
  const counts: [string, number | undefined][] = [
    ['--keep-last', policy.keepLast],
    ['--keep-hourly', policy.keepHourly],
    ['--keep-daily', policy.keepDaily],
    ['--keep-weekly', policy.keepWeekly],
    ['--keep-monthly', policy.keepMonthly],
    ['--keep-within', policy.keepWithinMs],
  ];
  for (const [name, value] of counts) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw new UsageError(`${name} must be a non-negative integer, not ${value}`);
  }
  if (counts.every(([, value]) => value === undefined || value === 0)) {
    throw new UsageError('no retention policy given: nothing would be kept by rule', { fix: 'give at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-within' });
  }
}

/**
 * The version ids of `history` that `policy` keeps (delete records are not versions and are never in question).
 * "Newest" is latest in the log; the history must be in log order.
 */
export function keptVersions(history: readonly HistoryEntry[], policy: RetentionPolicy, nowMs: number): Set<string> {
  const kept = new Set<string>();
  const last = history[history.length - 1];
  if (last?.kind === 'version') kept.add(last.versionId);
  const left = new Map<BucketUnit, number>();
  const lastBucket = new Map<BucketUnit, number>();
  for (const unit of BUCKET_UNITS) left.set(unit, countOf(policy, unit) ?? 0);
  let lastLeft = policy.keepLast ?? 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i]!;
    if (entry.kind !== 'version') continue;
    if (lastLeft > 0) {
      kept.add(entry.versionId);
      lastLeft--;
    }
    if (policy.keepWithinMs !== undefined && nowMs - entry.time < policy.keepWithinMs) kept.add(entry.versionId);
    for (const unit of BUCKET_UNITS) {
      const n = left.get(unit)!;
      if (n === 0) continue;
      const bucket = bucketOf(unit, entry.time);
      if (lastBucket.get(unit) === bucket) continue;
      // The newest version met in a bucket it has not seen yet: that bucket's keeper.
      lastBucket.set(unit, bucket);
      left.set(unit, n - 1);
      kept.add(entry.versionId);
    }
  }
  return kept;
}


/** The rules a policy text may name (`keep-daily=7,keep-within=30d`), as forget's options without the dashes. */
const POLICY_RULES = ['keep-last', 'keep-hourly', 'keep-daily', 'keep-weekly', 'keep-monthly', 'keep-within'] as const;

/**
 * Parses a policy as one string, for a server's own scheduled retention (`serve --retain`, config `serve.retain`):
 * `rule=value` pairs separated by commas or spaces, the rules of `synclog forget` without their dashes, e.g.
 * `keep-daily=7,keep-weekly=4,keep-within=30d`. Throws UsageError naming the bad part; checks the policy as forget does.
 */
export function parsePolicyText(text: string): RetentionPolicy {
  const policy: RetentionPolicy = {};
  const seen = new Set<string>();
  for (const part of text.split(/[\s,]+/).filter((p) => p !== '')) {
    const match = /^([a-z-]+)=(\S+)$/.exec(part);
    const rule = match?.[1] as (typeof POLICY_RULES)[number] | undefined;
    if (!match || !rule || !(POLICY_RULES as readonly string[]).includes(rule)) {
      throw new UsageError(`bad retention rule ${JSON.stringify(part)}: use rule=value with rules ${POLICY_RULES.join(', ')}, e.g. keep-daily=7,keep-within=30d`);
    }
    if (seen.has(rule)) throw new UsageError(`retention rule ${rule} is given twice`);
    seen.add(rule);
    const value = match[2]!;
    if (rule === 'keep-within') {
      policy.keepWithinMs = requireDurationMs(value);
      continue;
    }
    if (!/^\d+$/.test(value)) throw new UsageError(`${rule} needs a whole number, not ${JSON.stringify(value)}`);
    const n = Number(value);
    if (rule === 'keep-last') policy.keepLast = n;
    else if (rule === 'keep-hourly') policy.keepHourly = n;
    else if (rule === 'keep-daily') policy.keepDaily = n;
    else if (rule === 'keep-weekly') policy.keepWeekly = n;
    else policy.keepMonthly = n;
  }
  checkPolicy(policy);
  return policy;
}
