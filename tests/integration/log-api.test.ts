// Contract details of the Log API: durable events, exact nextSeq under load, atomic groups and rollover, readAt
// errors, limits, read-only views, close ending followers.
import { describe, expect, it } from 'vitest';
import { CorruptionError, LimitError, UsageError } from '../../src/errors.js';
import { LIMITS } from '../../src/util/limits.js';
import { Log, segmentFileName, type AppendInput } from '../../src/log/index.js';
import { flipByte } from '../helpers/corrupt.js';
import { readAll, recordFor } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { join } from 'node:path';

describe('Log API details', () => {
  it('emits durable with the next durable seq, and nextSeq stays exact while commits are in flight', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    const durable: number[] = [];
    log.on('durable', (next) => durable.push(next));
    const promises = [];
    for (let i = 0; i < 50; i++) {
      expect(log.nextSeq).toBe(i * 3);
      promises.push(i % 5 === 0 ? log.appendAtomic([recordFor(0), recordFor(1), recordFor(2)]) : log.appendMany([recordFor(0), recordFor(1), recordFor(2)]));
    }
    const positions = (await Promise.all(promises)).flat();
    expect(positions.map((p) => p.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(durable[durable.length - 1]).toBe(150);
    expect(durable).toEqual([...durable].sort((a, b) => a - b));
    await log.close();
  });

  it('an atomic group never spans segments; appends queued behind it keep their order', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir, { segmentBytesMax: 200 });
    await log.append(recordFor(0, 100));
    async function* slow() {
      for (let i = 1; i <= 5; i++) {
        await new Promise((r) => setTimeout(r, 5));
        yield recordFor(i, 100);
      }
    }
    const group = log.appendAtomic(slow());
    const after = log.append(recordFor(6, 100));
    const positions = await group;
    expect(new Set(positions.map((p) => p.segment)).size).toBe(1);
    expect(positions.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
    // The group went whole into the first segment (which it makes exceed segmentBytesMax); the next append rolls.
    expect(positions[0]!.segment).toBe(segmentFileName(0));
    expect(await after).toMatchObject({ seq: 6, segment: segmentFileName(6) });
    const entries = await readAll(log);
    expect(entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await log.close();
  });

  it('refuses a record over recordBytesMax with LimitError and keeps working', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    await expect(log.append({ tag: 1, payload: new Uint8Array(LIMITS.recordBytesMax + 1) })).rejects.toBeInstanceOf(LimitError);
    await expect(log.appendAtomic([recordFor(0), { tag: 1, payload: new Uint8Array(LIMITS.recordBytesMax + 1) }])).rejects.toBeInstanceOf(LimitError);
    expect((await log.append(recordFor(0))).seq).toBe(0);
    expect((await readAll(log)).length).toBe(1);
    await log.close();
  });

  it('readAt verifies: a bad name is a usage error, a damaged frame is CorruptionError', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    const [a, b] = await log.appendMany([recordFor(0), recordFor(1)]);
    await expect(log.readAt({ segment: '../etc/passwd', offset: 40 })).rejects.toBeInstanceOf(UsageError);
    await expect(log.readAt({ segment: a!.segment, offset: 3 })).rejects.toBeInstanceOf(UsageError);
    await expect(log.readAt({ segment: a!.segment, offset: 100_000 })).rejects.toBeInstanceOf(CorruptionError);
    await expect(log.readAt({ segment: a!.segment, offset: a!.offset + 1 })).rejects.toBeInstanceOf(CorruptionError);
    await log.close();
    await flipByte(join(dir, b!.segment), b!.offset + 16);
    const reader = await Log.open(dir, { readOnly: true });
    expect((await reader.readAt(a!)).tag).toBe(recordFor(0).tag);
    const error = await reader.readAt(b!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptionError);
    expect((error as CorruptionError).where).toMatchObject({ file: b!.segment, offset: b!.offset });
    expect((error as CorruptionError).operation).toBe('Log.readAt');
    await reader.close();
  });

  it('a read-only Log lists current segment counts; close ends its followers', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir, { segmentBytesMax: 256 });
    await writer.appendMany(Array.from({ length: 10 }, (_, i) => recordFor(i)));
    const reader = await Log.open(dir, { readOnly: true });
    await writer.appendMany(Array.from({ length: 30 }, (_, i) => recordFor(i + 10)));
    const segments = await reader.segments();
    expect(segments.reduce((n, s) => n + s.records, 0)).toBe(40);
    const seen: number[] = [];
    const following = (async () => {
      for await (const entry of reader.read({ follow: true })) seen.push(entry.seq);
    })();
    await waitFor(() => seen.length >= 40, 'the follower to reach seq 39');
    await reader.close();
    await following;
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await writer.close();
    await expect(writer.append(recordFor(40))).rejects.toMatchObject({ code: 'SYNCLOG_CLOSED' });
  });

  it('sync resolves after everything appended before it is durable', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) pending.push(log.append(recordFor(i)));
    let allDone = false;
    void Promise.all(pending).then(() => (allDone = true));
    await log.sync();
    await Promise.resolve();
    expect(allDone).toBe(true);
    await log.close();
  });

  it('many concurrent appenders: every promise resolves with its own record', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir, { segmentBytesMax: 64 * 1024 });
    const inputs: AppendInput[] = Array.from({ length: 2000 }, (_, i) => ({ tag: 1, payload: new TextEncoder().encode(`n${i}`) }));
    const positions = await Promise.all(inputs.map((input) => log.append(input)));
    for (const [i, p] of positions.entries()) expect(new TextDecoder().decode((await log.readAt(p)).payload)).toBe(`n${i}`);
    await log.close();
  });
});
