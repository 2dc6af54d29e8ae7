// A payload a read hands out without lending stays its own: reading on (the scan buffer refilled in place, frames
// read alone after passing known ones by) never changes it. Guards the scanner's buffers: they are left unzeroed, and
// an unzeroed Buffer's slice() would have been a view, not the copy the scanner hands out (seen as pushed chunks that
// were "not msgpack" and chunks "not in the log").
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const PAYLOAD_BYTES = 90_000;

function payloadOf(i: number): Uint8Array {
  const bytes = new Uint8Array(PAYLOAD_BYTES);
  for (let at = 0; at < bytes.length; at++) bytes[at] = (i * 31 + at) & 0xff;
  return bytes;
}

describe('payloads a read hands out', () => {
  it('are copies that reading on never changes, first read and again', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const writer = await Log.open(dir, { segmentBytesMax: 64 * 1024 * 1024 });
    // 4 MiB of frames: several 1 MiB scan windows, each refilling the same buffer.
    for (let i = 0; i < 48; i++) {
      await writer.append({ tag: 1, payload: payloadOf(i) });
      await writer.append({ tag: 2, payload: Uint8Array.of(i) });
    }
    await writer.close();
    const log = await Log.open(dir, { readOnly: true });
    try {
      for (const tags of [undefined, [1], [2], [1]]) {
        const kept: { tag: number; payload: Uint8Array; i: number }[] = [];
        let big = 0;
        let small = 0;
        for await (const entry of log.read({ tags })) kept.push({ tag: entry.tag, payload: entry.payload, i: entry.tag === 1 ? big++ : small++ });
        for (const { tag, payload, i } of kept) expect(Buffer.from(payload).equals(Buffer.from(tag === 1 ? payloadOf(i) : Uint8Array.of(i)))).toBe(true);
      }
    } finally {
      await log.close();
    }
  });
});
