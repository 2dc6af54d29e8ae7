// Summaries of benchmark samples: median, min, max, and the ratio of synclog to a peer. Pure functions only.
// Invariant: every number in a result table comes from here, so all rows are summarised the same way; the median
// (not the mean) is reported because one disturbed run on a shared machine must not move the headline figure.
import { assert } from '../../src/util/assert.js';

export interface Summary {
  median: number;
  min: number;
  max: number;
  count: number;
}

/** Median, min and max of the samples; undefined when there are none. Non-finite samples are a bug upstream. */
export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  for (const value of samples) assert(Number.isFinite(value), `sample is not finite: ${value}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, count: sorted.length };
}

export interface Ratio {
  /** synclog's median divided by the peer's median. */
  value: number;
  /** Whether synclog comes out ahead given the unit's direction (equal counts as not better). */
  synclogBetter: boolean;
}

/** synclog ÷ peer on medians; undefined when either is missing or the peer's median is 0. */
export function ratioOf(synclog: Summary | undefined, peer: Summary | undefined, higherIsBetter: boolean): Ratio | undefined {
  if (!synclog || !peer || peer.median === 0) return undefined;
  const value = synclog.median / peer.median;
  return { value, synclogBetter: higherIsBetter ? value > 1 : value < 1 };
}

/** Throughput in MB/s (10^6 bytes, as disks and peers report it). */
export function megabytesPerSecond(bytes: number, seconds: number): number {
  assert(seconds > 0, 'a duration must be positive');
  return bytes / 1e6 / seconds;
}

/**
 * Median of per-run ratios synclog[i] ÷ peer[i], when both have one sample per run (same count, at least 2). Runs
 * of different tools in one round sit close in time, so this pairing resists load that drifts across a run.
 */
export function pairedRatio(synclog: readonly number[], peer: readonly number[]): number | undefined {
  if (synclog.length < 2 || synclog.length !== peer.length || peer.some((value) => value === 0)) return undefined;
  return summarize(synclog.map((value, index) => value / peer[index]!))!.median;
}
