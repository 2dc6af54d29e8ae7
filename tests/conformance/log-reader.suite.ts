// One contract, every implementation (restic's backend test suite): what a reader of a log must do, run against the
// local read-only Log and against RemoteLog over a real server on 127.0.0.1. Same records (seq, segment, offset,
// tag, payload), same errors (bad fromSeq, mid-log damage), same follow behaviour (new records appear, abort ends the
// read cleanly), and nothing at or above the durable watermark.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, segmentFileName, type LogEntry, type ReadOptions } from '../../src/log/index.js';
import { encodeWatermark } from '../../src/log/watermark.js';
import { writeFile } from 'node:fs/promises';
import { flipByte } from '../helpers/corrupt.js';
import { buildLog, isIntact, recordFor } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

export interface LogReaderUnderTest {
  read(options?: ReadOptions): AsyncIterableIterator<LogEntry>;
}

/** Opens a reader of the log in `dir` (the log exists); `close` releases whatever it started. */
export type OpenReader = (dir: string) => Promise<{ reader: LogReaderUnderTest; close(): Promise<void> }>;

async function readAll(reader: LogReaderUnderTest, options: ReadOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const entry of reader.read(options)) out.push(entry);
  return out;
}

async function readUntilError(reader: LogReaderUnderTest): Promise<{ entries: LogEntry[]; error: unknown }> {
  const entries: LogEntry[] = [];
  try {
    for await (const entry of reader.read()) entries.push(entry);
  } catch (error) {
    return { entries, error };
  }
  return { entries, error: undefined };
}

const plain = (e: LogEntry) => ({ seq: e.seq, segment: e.segment, offset: e.offset, tag: e.tag, payload: Buffer.from(e.payload).toString('hex') });

export function logReaderSuite(name: string, open: OpenReader): void {
  describe(`log reader conformance: ${name}`, () => {
    it('yields every record in seq order, with the writer positions, across segments', async () => {
      const dir = await makeTmpDir();
      const positions = await buildLog(dir, 40, { segmentBytesMax: 600 });
      const { reader, close } = await open(dir);
      try {
        const entries = await readAll(reader);
        expect(entries.map((e) => ({ seq: e.seq, segment: e.segment, offset: e.offset }))).toEqual(positions);
        expect(entries.every((e) => isIntact(e))).toBe(true);
        expect(new Set(entries.map((e) => e.segment)).size).toBeGreaterThanOrEqual(3);
        // From a seq in a later segment, and past the end.
        expect((await readAll(reader, { fromSeq: 27 })).map(plain)).toEqual(entries.slice(27).map(plain));
        expect(await readAll(reader, { fromSeq: 40 })).toEqual([]);
        expect(await readAll(reader, { fromSeq: 1000 })).toEqual([]);
      } finally {
        await close();
      }
    });

    it('filters by tag', async () => {
      const dir = await makeTmpDir();
      await buildLog(dir, 20);
      const { reader, close } = await open(dir);
      try {
        const entries = await readAll(reader, { tags: [2, 4] });
        expect(entries.map((e) => e.seq)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
        expect(entries.every((e) => isIntact(e) && (e.tag === 2 || e.tag === 4))).toBe(true);
        expect(await readAll(reader, { tags: [] })).toEqual([]);
      } finally {
        await close();
      }
    });

    it('refuses a bad fromSeq with a UsageError', async () => {
      const dir = await makeTmpDir();
      await buildLog(dir, 3);
      const { reader, close } = await open(dir);
      try {
        for (const fromSeq of [-1, 1.5, Number.NaN]) {
          await expect(readAll(reader, { fromSeq })).rejects.toMatchObject({ code: 'SYNCLOG_USAGE' });
        }
      } finally {
        await close();
      }
    });

    it('stops right before mid-log damage with a CorruptionError naming the segment and seq', async () => {
      const dir = await makeTmpDir();
      const positions = await buildLog(dir, 30, { segmentBytesMax: 600 });
      const damaged = positions[5]!;
      expect(damaged.segment).toBe(segmentFileName(0));
      await flipByte(join(dir, damaged.segment), damaged.offset + 16);
      const { reader, close } = await open(dir);
      try {
        const { entries, error } = await readUntilError(reader);
        expect(entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
        expect(error).toMatchObject({ code: 'SYNCLOG_CORRUPT', name: 'CorruptionError' });
        expect((error as { details: Record<string, unknown> }).details).toMatchObject({ file: damaged.segment, offset: damaged.offset, seq: 5 });
        expect(String((error as { details: Record<string, unknown> }).details.reason)).toContain('checksum-mismatch');
      } finally {
        await close();
      }
    });

    it('never yields a record at or above the durable watermark while the writer lives', async () => {
      const dir = await makeTmpDir();
      const writer = await Log.open(dir);
      try {
        for (let seq = 0; seq < 10; seq++) await writer.append(recordFor(seq));
        // As if records 6..9 were written but their fdatasync had not returned yet.
        await writeFile(join(dir, 'durable.seq'), encodeWatermark(6));
        const { reader, close } = await open(dir);
        try {
          expect((await readAll(reader)).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
        } finally {
          await close();
        }
      } finally {
        await writer.close();
      }
    });

    it('follows: records appended later appear in order; abort ends the read cleanly', async () => {
      const dir = await makeTmpDir();
      const writer = await Log.open(dir);
      try {
        for (let seq = 0; seq < 3; seq++) await writer.append(recordFor(seq));
        const { reader, close } = await open(dir);
        try {
          const controller = new AbortController();
          const seen: LogEntry[] = [];
          const following = (async () => {
            for await (const entry of reader.read({ fromSeq: 1, follow: true, signal: controller.signal })) seen.push(entry);
          })();
          await waitFor(() => seen.length === 2, 'the follower to read seqs 1-2');
          await writer.appendMany([recordFor(3), recordFor(4)]);
          await waitFor(() => seen.length === 4, 'the follower to see the new records');
          controller.abort();
          await following;
          expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
          expect(seen.every((e) => isIntact(e))).toBe(true);
        } finally {
          await close();
        }
      } finally {
        await writer.close();
      }
    });
  });
}
