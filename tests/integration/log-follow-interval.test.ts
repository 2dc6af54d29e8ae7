// A follower asked to look at the log at most once per interval (ReadOptions.followIntervalMs, what a server's record
// streams use): a writer committing many small records gets them read in a few large steps, every record exactly
// once and in order, and an abort during the pause ends the follow at once.
import { describe, expect, it } from 'vitest';
import { Log, type LogEntry } from '../../src/log/index.js';
import { recordFor } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('follow with followIntervalMs', () => {
  it('reads a stream of small commits in few steps, each record once, in order', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir);
    await writer.append(recordFor(0));
    const reader = await Log.open(dir, { readOnly: true });
    const intervalMs = 300;
    const controller = new AbortController();
    const got: LogEntry[] = [];
    const arrivals: number[] = [];
    const following = (async () => {
      for await (const entry of reader.read({ fromSeq: 0, follow: true, signal: controller.signal, followIntervalMs: intervalMs })) {
        got.push(entry);
        arrivals.push(performance.now());
        if (got.length === 41) controller.abort();
      }
    })();
    const started = performance.now();
    // 40 commits of one record each, a few ms apart: without the interval the follower reads after nearly every one.
    for (let i = 1; i <= 40; i++) {
      await writer.append(recordFor(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    await following;
    const elapsed = performance.now() - started;
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 41 }, (_, i) => i));
    // Records yielded back to back (under 2 ms apart) came from one look at the log.
    let steps = 1;
    for (let i = 1; i < arrivals.length; i++) if (arrivals[i]! - arrivals[i - 1]! > 2) steps++;
    // Looks begin at least intervalMs apart, so there are at most this many (plus the first, at seq 0).
    expect(steps).toBeLessThanOrEqual(Math.ceil(elapsed / intervalMs) + 2);
    await reader.close();
    await writer.close();
  });

  it('an abort during the pause ends the follow without waiting out the interval', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir);
    await writer.append(recordFor(0));
    const reader = await Log.open(dir, { readOnly: true });
    const controller = new AbortController();
    const got: number[] = [];
    const following = (async () => {
      for await (const entry of reader.read({ fromSeq: 0, follow: true, signal: controller.signal, followIntervalMs: 60_000 })) got.push(entry.seq);
    })();
    await new Promise((r) => setTimeout(r, 100));
    // A commit wakes the follower into its (minute-long) pause; the abort must end that pause.
    await writer.append(recordFor(1));
    await new Promise((r) => setTimeout(r, 100));
    const abortedAt = performance.now();
    controller.abort();
    await following;
    expect(performance.now() - abortedAt).toBeLessThan(10_000);
    expect(got).toEqual([0]);
    await reader.close();
    await writer.close();
  });
});
