// The log's public API on real files: open, append (group commit), read, readAt, atomic groups, segments, close.
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../src/errors.js';
import { Log, verifyLog, type AppendInput } from '../../src/log/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const text = (s: string) => new TextEncoder().encode(s);
const record = (i: number): AppendInput => ({ tag: 1 + (i % 3), payload: text(`record ${i}`) });

async function collect(log: Log, options: Parameters<Log['read']>[0] = {}) {
  const out = [];
  for await (const entry of log.read(options)) out.push(entry);
  return out;
}

describe('Log', () => {
  it('appends concurrently with dense seqs and reads them back', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    expect(log.nextSeq).toBe(0);
    const positions = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(record(i))));
    expect(positions.map((p) => p.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(log.nextSeq).toBe(100);
    const entries = await collect(log);
    expect(entries.map((e) => new TextDecoder().decode(e.payload))).toEqual(Array.from({ length: 100 }, (_, i) => `record ${i}`));
    const at = await log.readAt(positions[57]!);
    expect(new TextDecoder().decode(at.payload)).toBe('record 57');
    expect(at.tag).toBe(record(57).tag);
    await log.close();
  });

  it('reopens at the same nextSeq and keeps appending', async () => {
    const dir = await makeTmpDir();
    const first = await Log.open(dir);
    await first.appendMany([record(0), record(1), record(2)]);
    await first.close();
    const second = await Log.open(dir);
    expect(second.recovery).toBeUndefined();
    expect(second.nextSeq).toBe(3);
    expect((await second.append(record(3))).seq).toBe(3);
    expect((await collect(second)).length).toBe(4);
    await second.close();
  });

  it('rolls segments, reads from any seq, filters by tag', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir, { segmentBytesMax: 2048 });
    for (let i = 0; i < 300; i += 10) await log.appendMany(Array.from({ length: 10 }, (_, k) => record(i + k)));
    const segments = await log.segments();
    expect(segments.length).toBeGreaterThan(3);
    expect(segments.reduce((n, s) => n + s.records, 0)).toBe(300);
    const from = await collect(log, { fromSeq: 123 });
    expect(from.map((e) => e.seq)).toEqual(Array.from({ length: 177 }, (_, i) => 123 + i));
    const tagged = await collect(log, { tags: [2] });
    expect(tagged.every((e) => e.tag === 2)).toBe(true);
    expect(tagged.length).toBe(100);
    await log.close();
    const report = await verifyLog(dir);
    expect(report).toMatchObject({ ok: true, records: 300, segments: segments.length, errors: [] });
  });

  it('appendAtomic writes a group; a failing group leaves nothing', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    await log.append(record(0));
    const group = await log.appendAtomic([record(1), record(2), record(3)]);
    expect(group.map((p) => p.seq)).toEqual([1, 2, 3]);
    async function* failing() {
      yield record(4);
      yield record(5);
      throw new Error('source failed');
    }
    await expect(log.appendAtomic(failing())).rejects.toThrow('source failed');
    expect((await log.append(record(4))).seq).toBe(4);
    expect((await collect(log)).map((e) => new TextDecoder().decode(e.payload))).toEqual([0, 1, 2, 3, 4].map((i) => `record ${i}`));
    await log.close();
    expect((await verifyLog(dir)).ok).toBe(true);
  });

  it('refuses a second writer in the same process, naming the holder', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    const error = await Log.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).details).toMatchObject({ holderPid: process.pid });
    await log.close();
    const again = await Log.open(dir);
    await again.close();
  });

  it('read-only open takes no lock and sees what the writer made durable', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    await log.appendMany([record(0), record(1)]);
    const reader = await Log.open(dir, { readOnly: true });
    expect(reader.nextSeq).toBe(2);
    expect((await collect(reader)).length).toBe(2);
    await expect(reader.append(record(2))).rejects.toMatchObject({ code: 'SYNCLOG_USAGE' });
    await reader.close();
    await log.close();
  });
});
