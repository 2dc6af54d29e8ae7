// The durable watermark (docs/format.md "Durable watermark"): a reader that is not the writer reads only records
// the writer has published as durable; it catches up when the writer publishes more; with no live writer it makes
// the rest durable itself and reads it; a log without the file (written before it existed) reads to its end.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, type LogEntry } from '../../src/log/index.js';
import { decodeWatermark, encodeWatermark } from '../../src/log/watermark.js';
import { recordFor } from '../helpers/log-fixture.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const WATERMARK = 'durable.seq';

async function readAll(dir: string): Promise<number[]> {
  const reader = await Log.open(dir, { readOnly: true });
  try {
    const seqs: number[] = [];
    for await (const entry of reader.read()) seqs.push(entry.seq);
    return seqs;
  } finally {
    await reader.close();
  }
}

async function writeRecords(log: Log, from: number, count: number): Promise<void> {
  for (let seq = from; seq < from + count; seq++) await log.append(recordFor(seq));
}

describe('durable watermark', () => {
  it('encodes a value and its complement; anything else decodes as nothing', () => {
    for (const value of [0, 1, 255, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) expect(decodeWatermark(encodeWatermark(value))).toBe(value);
    const torn = encodeWatermark(77);
    torn[3] = torn[3]! ^ 0xff;
    expect(decodeWatermark(torn)).toBeUndefined();
    expect(decodeWatermark(new Uint8Array(0))).toBeUndefined();
    expect(decodeWatermark(new Uint8Array(16))).toBeUndefined(); // 0 with complement 0: not a value
  });

  it('the writer publishes every commit and its state on open and close', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    expect(decodeWatermark(await readFile(join(dir, WATERMARK)))).toBe(0);
    await writeRecords(log, 0, 5);
    expect(decodeWatermark(await readFile(join(dir, WATERMARK)))).toBe(5);
    await log.close();
    expect(decodeWatermark(await readFile(join(dir, WATERMARK)))).toBe(5);
  });

  it('a reader stops at the watermark while the writer lives, and follows it as it moves', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    try {
      await writeRecords(log, 0, 10);
      // As if records 6..9 were written but their fdatasync had not returned yet.
      await writeFile(join(dir, WATERMARK), encodeWatermark(6));
      expect(await readAll(dir)).toEqual([0, 1, 2, 3, 4, 5]);
      const reader = await Log.open(dir, { readOnly: true });
      expect(reader.nextSeq).toBe(6); // what it may read, not what is on disk
      const controller = new AbortController();
      const seen: number[] = [];
      const following = (async () => {
        for await (const entry of reader.read({ follow: true, signal: controller.signal }) as AsyncIterable<LogEntry>) {
          seen.push(entry.seq);
          if (entry.seq === 10) controller.abort();
        }
      })();
      await waitFor(() => seen.length === 6, 'the follower to read seqs 0-5');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen).toEqual([0, 1, 2, 3, 4, 5]); // held at the watermark
      await writeRecords(log, 10, 1); // this commit publishes 11
      await following;
      await reader.close();
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await log.close();
    }
  });

  it('with no live writer, a reader reads what a killed writer left past the watermark', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    await writeRecords(log, 0, 8);
    await log.close(); // releases the lock: no writer now
    await writeFile(join(dir, WATERMARK), encodeWatermark(3));
    expect(await readAll(dir)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a log without the file (written before the watermark existed) reads to its end', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    await writeRecords(log, 0, 4);
    await rm(join(dir, WATERMARK));
    // The writer is still alive, but it is one that never published a watermark.
    try {
      expect(await readAll(dir)).toEqual([0, 1, 2, 3]);
    } finally {
      await log.close();
    }
  });

  it('a watermark file that is longer than a watermark (not ours) is cut back, so readers are not held back', async () => {
    const dir = await makeTmpDir();
    const first = await Log.open(dir);
    await writeRecords(first, 0, 3);
    await first.close();
    await writeFile(join(dir, WATERMARK), Buffer.concat([Buffer.from(encodeWatermark(3)), Buffer.from('junk')]));
    const second = await Log.open(dir);
    try {
      expect(decodeWatermark(await readFile(join(dir, WATERMARK)))).toBe(3);
      await writeRecords(second, 3, 2);
      expect(await readAll(dir)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await second.close();
    }
  });

  it('a new writer makes what a previous one left durable and publishes it on open', async () => {
    const dir = await makeTmpDir();
    const first = await Log.open(dir);
    await writeRecords(first, 0, 6);
    await first.close();
    await writeFile(join(dir, WATERMARK), encodeWatermark(2));
    const second = await Log.open(dir);
    try {
      expect(decodeWatermark(await readFile(join(dir, WATERMARK)))).toBe(6);
      expect(await readAll(dir)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await second.close();
    }
  });
});

