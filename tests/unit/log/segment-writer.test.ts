// The group-commit writer on its own: back-pressure keeps the queue bounded and the order intact.
import { describe, expect, it } from 'vitest';
import { initChecksum } from '../../../src/log/checksum.js';
import { createSegment, SegmentWriter } from '../../../src/log/segment-writer.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

describe('SegmentWriter', () => {
  it('holds appends beyond appendQueueBytesMax back, in order, and the queue stays bounded', async () => {
    await initChecksum();
    const dir = await makeTmpDir();
    const segment = await createSegment(dir, 0);
    const durable: number[] = [];
    const writer = new SegmentWriter(dir, segment, 0, { segmentBytesMax: 1 << 30, groupCommitDelayMs: 0, appendQueueBytesMax: 2048 }, (n) => durable.push(n));
    let queuedMax = 0;
    const promises = Array.from({ length: 60 }, (_, i) => {
      const p = writer.append([{ tag: 1, payload: new Uint8Array(500).fill(i) }]);
      queuedMax = Math.max(queuedMax, writer.queuedBytesNow);
      return p;
    });
    expect(writer.pendingRecords).toBe(60);
    const positions = (await Promise.all(promises)).flat();
    expect(positions.map((p) => p.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(queuedMax).toBeLessThanOrEqual(2048);
    expect(durable[durable.length - 1]).toBe(60);
    expect(durable.length).toBeGreaterThan(1);
    await writer.close();
  });
});
