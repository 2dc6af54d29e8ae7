// A read filtered by tag (the catalog's, history's, stats') passes over the frames it does not want, but never over
// damage in them: a flipped byte in a skipped frame that straddles the end of the scanner's read buffer (its header
// buffered, its end not) is a CorruptionError at that frame, as it is for a frame wholly in the buffer. Before, such
// a frame was passed by its length alone, so whether damage in a chunk record stopped `synclog history` depended on
// where the chunks fell against the 1 MiB read windows (a flaky e2e test: about one chunk in sixteen).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/errors.js';
import { FRAME_HEADER_BYTES, Log, SEGMENT_HEADER_BYTES } from '../../src/log/index.js';
import { LOG_LIMITS } from '../../src/util/limits.js';
import { flipByte } from '../helpers/corrupt.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const PAYLOAD_BYTES = 100_000;
const FRAME_BYTES = FRAME_HEADER_BYTES + PAYLOAD_BYTES;

async function tags(log: Log, wanted: number[]): Promise<number[]> {
  const seen: number[] = [];
  for await (const entry of log.read({ tags: wanted })) seen.push(entry.tag);
  return seen;
}

describe('damage in a frame a tag-filtered read skips', () => {
  for (const where of ['straddling the read buffer end', 'inside the read buffer'] as const) {
    it(`is reported when the damaged frame lies ${where}`, async () => {
      const dir = join(await makeTmpDir(), 'log');
      const writer = await Log.open(dir, { segmentBytesMax: 64 * 1024 * 1024 });
      // Frames of tag 1 back to back from the segment header, then one of tag 2 (the one the read wants).
      const count = Math.ceil((2 * LOG_LIMITS.readBufferBytes) / FRAME_BYTES);
      for (let i = 0; i < count; i++) await writer.append({ tag: 1, payload: new Uint8Array(PAYLOAD_BYTES).fill(i) });
      await writer.append({ tag: 2, payload: new Uint8Array([42]) });
      const segment = (await writer.segments())[0]!.name;
      await writer.close();
      // The first read buffer covers [header end, header end + readBufferBytes): frame k straddles its end.
      const straddling = Math.floor(LOG_LIMITS.readBufferBytes / FRAME_BYTES);
      const victim = where === 'straddling the read buffer end' ? straddling : 2;
      const start = SEGMENT_HEADER_BYTES + victim * FRAME_BYTES;
      if (where === 'straddling the read buffer end') {
        expect(start + FRAME_HEADER_BYTES).toBeLessThan(SEGMENT_HEADER_BYTES + LOG_LIMITS.readBufferBytes);
        expect(start + FRAME_BYTES).toBeGreaterThan(SEGMENT_HEADER_BYTES + LOG_LIMITS.readBufferBytes);
      }
      const reader = await Log.open(dir, { readOnly: true });
      try {
        expect(await tags(reader, [2])).toEqual([2]); // intact: the filtered read finds its record
      } finally {
        await reader.close();
      }
      await flipByte(join(dir, segment), start + FRAME_BYTES - 10, 0x01);
      const damaged = await Log.open(dir, { readOnly: true });
      try {
        const error = await tags(damaged, [2]).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(CorruptionError);
        expect((error as CorruptionError).where).toMatchObject({ file: segment, offset: start, seq: victim });
      } finally {
        await damaged.close();
      }
    });
  }
});
