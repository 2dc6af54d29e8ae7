// Frames a Log's readers already verified (src/log/frame-map.ts): a later tags-filtered read of the same Log passes
// them by without reading them (what lets 20 followers of one server stop re-reading every chunk frame), reads the ones
// it wants on their own and still checks them; a read that wants a frame damaged since still reports the damage; a
// fresh Log, and a segment file replaced under the same name, know nothing and check everything. The map's bound holds.
import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/errors.js';
import { FrameMaps } from '../../src/log/frame-map.js';
import { FRAME_HEADER_BYTES, Log, SEGMENT_HEADER_BYTES } from '../../src/log/index.js';
import { flipByte } from '../helpers/corrupt.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const PAYLOAD_BYTES = 50_000;
const FRAME_BYTES = FRAME_HEADER_BYTES + PAYLOAD_BYTES;
const BIG_PAYLOAD_BYTES = 100_000;

async function readTags(log: Log, wanted?: number[]): Promise<number[]> {
  const seen: number[] = [];
  for await (const entry of log.read({ tags: wanted })) seen.push(entry.tag);
  return seen;
}

/** A log of `count` frames of tag 1 (50 kB each, like chunks), each followed by one small frame of tag 2. */
async function makeLog(count: number, payloadBytes = PAYLOAD_BYTES): Promise<{ dir: string; segment: string }> {
  const dir = join(await makeTmpDir(), 'log');
  const writer = await Log.open(dir, { segmentBytesMax: 64 * 1024 * 1024 });
  for (let i = 0; i < count; i++) {
    await writer.append({ tag: 1, payload: new Uint8Array(payloadBytes).fill(i) });
    await writer.append({ tag: 2, payload: Uint8Array.of(i) });
  }
  const segment = (await writer.segments())[0]!.name;
  await writer.close();
  return { dir, segment };
}

/** Offset of the k-th tag-1 frame. */
const chunkFrameAt = (k: number) => SEGMENT_HEADER_BYTES + k * (FRAME_BYTES + FRAME_HEADER_BYTES + 1);

describe('a Log passes by the frames its readers verified', () => {
  it('passes a known frame it does not want without reading it, and still checks one it wants', async () => {
    const { dir, segment } = await makeLog(40);
    const log = await Log.open(dir, { readOnly: true });
    try {
      expect(await readTags(log, [2])).toHaveLength(40); // verifies every frame, and notes them
      await flipByte(join(dir, segment), chunkFrameAt(30) + FRAME_BYTES - 7, 0x01);
      // The same Log: the damaged tag-1 frame is known (verified, durable) and not wanted, so it is not read again.
      expect(await readTags(log, [2])).toHaveLength(40);
      // A read that wants it reads it and finds the damage, at its offset.
      const error = await readTags(log).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where.offset).toBe(chunkFrameAt(30));
    } finally {
      await log.close();
    }
    // Another Log (another process) knows nothing: its filtered read checks the frame it skips and stops there.
    const fresh = await Log.open(dir, { readOnly: true });
    try {
      const error = await readTags(fresh, [2]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where.offset).toBe(chunkFrameAt(30));
    } finally {
      await fresh.close();
    }
  });

  it("counts a read-only open's walk of the newest segment as a read of it", async () => {
    const { dir, segment } = await makeLog(30);
    const log = await Log.open(dir, { readOnly: true }); // counts the segment's records: verifies every frame
    try {
      await flipByte(join(dir, segment), chunkFrameAt(12) + FRAME_BYTES - 3, 0x01);
      expect(await readTags(log, [2])).toHaveLength(30); // the damaged frame was known before the first read
      const error = await readTags(log, [1]).then(() => undefined, (e: unknown) => e);
      expect((error as CorruptionError).where.offset).toBe(chunkFrameAt(12)); // one that wants it still finds it
    } finally {
      await log.close();
    }
  });

  it('reads a wanted frame on its own after passing large ones by, and still finds damage in it', async () => {
    const { dir, segment } = await makeLog(30, BIG_PAYLOAD_BYTES);
    const bigFrame = FRAME_HEADER_BYTES + BIG_PAYLOAD_BYTES;
    const smallAt = (k: number) => SEGMENT_HEADER_BYTES + k * (bigFrame + FRAME_HEADER_BYTES + 1) + bigFrame;
    const log = await Log.open(dir, { readOnly: true });
    try {
      const first: number[] = [];
      for await (const entry of log.read({ tags: [2] })) first.push(entry.payload[0]!);
      expect(first).toEqual([...Array(30).keys()]);
      const again: number[] = [];
      for await (const entry of log.read({ tags: [2] })) again.push(entry.payload[0]!);
      expect(again).toEqual(first); // the same records, read alone between the frames passed by
      await flipByte(join(dir, segment), smallAt(20) + FRAME_HEADER_BYTES, 0x01);
      const error = await readTags(log, [2]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where.offset).toBe(smallAt(20));
    } finally {
      await log.close();
    }
  });

  it('knows nothing of a segment file replaced under the same name (a prune writes new files)', async () => {
    const { dir, segment } = await makeLog(20);
    const log = await Log.open(dir, { readOnly: true });
    try {
      expect(await readTags(log, [2])).toHaveLength(20);
      const path = join(dir, segment);
      await copyFile(path, `${path}.new`);
      await flipByte(`${path}.new`, chunkFrameAt(5) + 100, 0x01);
      await rename(`${path}.new`, path);
      const error = await readTags(log, [2]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).where.offset).toBe(chunkFrameAt(5));
    } finally {
      await log.close();
    }
  });

  it("notes a whole atomic group once its look-ahead verified it, before the reader's scan reaches its frames", async () => {
    const dir = join(await makeTmpDir(), 'log');
    const writer = await Log.open(dir);
    // A group as the store writes a file version: its record first here (tag 2, wanted), then two chunk-like frames.
    await writer.appendAtomic([
      { tag: 2, payload: Uint8Array.of(7) },
      { tag: 1, payload: new Uint8Array(PAYLOAD_BYTES).fill(1) },
      { tag: 1, payload: new Uint8Array(PAYLOAD_BYTES).fill(2) },
    ]);
    await writer.append({ tag: 2, payload: Uint8Array.of(8) });
    const segment = (await writer.segments())[0]!.name;
    // The writer's own Log reads it: its appends noted nothing (a read-only open's count would note every frame).
    const log = writer;
    try {
      // Stops at the group's first record: the scan never reaches the two chunk frames, the look-ahead did.
      for await (const entry of log.read({ tags: [2] })) {
        expect(entry.payload).toEqual(Uint8Array.of(7));
        break;
      }
      const lastChunkAt = SEGMENT_HEADER_BYTES + (FRAME_HEADER_BYTES + 1) + FRAME_BYTES;
      await flipByte(join(dir, segment), lastChunkAt + FRAME_BYTES - 5, 0x01);
      expect(await readTags(log, [2])).toEqual([2, 2]); // known since the look-ahead: passed by unread
      const error = await readTags(log).then(() => undefined, (e: unknown) => e);
      expect((error as CorruptionError).where.offset).toBe(lastChunkAt); // one that wants it still finds the damage
    } finally {
      await log.close();
    }
  });

  it('lets one of several readers at the same unknown frame read it; the others wait, then find it known', async () => {
    const map = new FrameMaps(100).forSegment('1:1', 1n);
    const first = map.claim(500);
    expect(typeof first).toBe('function');
    const second = map.claim(500);
    const third = map.claim(500);
    expect(second).toBeInstanceOf(Promise);
    expect(typeof map.claim(600)).toBe('function'); // another frame is another claim
    let secondSettled = false;
    void Promise.resolve(second).then(() => (secondSettled = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(secondSettled).toBe(false); // waits while the first reads
    map.note(500, { frameBytes: 100, tag: 1, flags: 0 });
    (first as () => void)();
    expect(await second).toBeUndefined(); // known now: nothing to read
    expect(await third).toBeUndefined();
    // A reader that gave up without noting (the frame was not durable yet): the next waiter reads it itself.
    const lead = map.claim(700) as () => void;
    const next = map.claim(700);
    lead();
    const own = await next;
    expect(typeof own).toBe('function');
    (own as () => void)();
    expect(typeof map.claim(700)).toBe('function');
  });

  it('keeps its bound, dropping the oldest segment first', () => {
    const maps = new FrameMaps(100);
    const first = maps.forSegment('1:1', 1n);
    for (let i = 0; i < 80; i++) first.note(i * 100, { frameBytes: 100, tag: 1, flags: 0 });
    const second = maps.forSegment('1:2', 1n);
    for (let i = 0; i < 50; i++) second.note(i * 100, { frameBytes: 100, tag: 2, flags: 0 });
    expect(maps.count).toBeLessThanOrEqual(100);
    expect(first.dropped).toBe(true);
    expect(first.get(0)).toEqual({ frameBytes: 100, tag: 1, flags: 0 }); // a reader holding it still reads it right
    first.note(99_999, { frameBytes: 1, tag: 1, flags: 0 });
    expect(first.get(99_999)).toBeUndefined(); // but notes nothing more
    expect(second.get(4900)).toEqual({ frameBytes: 100, tag: 2, flags: 0 });
    expect(maps.forSegment('1:1', 1n)).not.toBe(first);
  });
});
