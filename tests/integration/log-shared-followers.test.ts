// Many followers of one read-only Log while another Log writes (what `synclog serve` does with 20 followers): they
// share what they read (frame claims, group look-aheads, tail views per change generation: src/log/frame-map.ts,
// tail-views.ts), and every one of them still gets every record, in order, exactly once, across segment rollovers,
// atomic groups and a writer that commits in bursts; none is left asleep at the end.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Log } from '../../src/log/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const FOLLOWERS = 12;
const GROUPS = 150;

/** Payload of record `i` of group `g`: its own bytes, some large (chunk-like), so frames cross read windows. */
function payloadOf(g: number, i: number): Uint8Array {
  const bytes = i === 0 ? 40 : 20_000 + ((g * 7919 + i * 104_729) % 60_000);
  return new Uint8Array(bytes).fill((g * 31 + i) & 0xff);
}

describe('followers of one read-only Log', () => {
  it('each get every record exactly, in order, while a writer appends groups across rollovers', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const writer = await Log.open(dir, { segmentBytesMax: 1024 * 1024 });
    await writer.append({ tag: 9, payload: Uint8Array.of(1) });
    const reader = await Log.open(dir, { readOnly: true });
    const expected: { tag: number; bytes: number; first: number }[] = [{ tag: 9, bytes: 1, first: 1 }];
    const abort = new AbortController();
    const total = 1 + GROUPS * 3 + 1; // the last: a tag-9 end marker every follower wants
    const follow = async (tags?: number[]) => {
      const seen: { seq: number; tag: number; bytes: number; first: number }[] = [];
      for await (const entry of reader.read({ fromSeq: 0, follow: true, tags, signal: abort.signal })) {
        seen.push({ seq: entry.seq, tag: entry.tag, bytes: entry.payload.length, first: entry.payload[0]! });
        if (entry.seq === total - 1) break;
      }
      return seen;
    };
    try {
      // Half want everything, half only the small records (a filtered read passes the large ones by).
      const followers = Array.from({ length: FOLLOWERS }, (_, k) => follow(k % 2 === 0 ? undefined : [2, 9]));
      for (let g = 0; g < GROUPS; g++) {
        const group = [0, 1, 2].map((i) => ({ tag: i === 0 ? 2 : 1, payload: payloadOf(g, i) }));
        for (const { tag, payload } of group) expected.push({ tag, bytes: payload.length, first: payload[0]! });
        const appended = writer.appendAtomic(group);
        if (g % 10 === 9) await appended; // bursts: several commits in flight, then a pause
        else void appended;
      }
      expected.push({ tag: 9, bytes: 1, first: 2 });
      await writer.append({ tag: 9, payload: Uint8Array.of(2) });
      await writer.sync();
      const timeout = setTimeout(() => abort.abort(), 120_000);
      const results = await Promise.all(followers);
      clearTimeout(timeout);
      expect(abort.signal.aborted).toBe(false);
      expect((await writer.segments()).length).toBeGreaterThan(3);
      for (const [k, seen] of results.entries()) {
        const want = expected.map((e, seq) => ({ seq, ...e })).filter((e) => k % 2 === 0 || e.tag !== 1);
        expect(seen).toEqual(want);
      }
    } finally {
      abort.abort();
      await reader.close();
      await writer.close();
    }
  });
});
