// Read deltas under faults (docs/protocol.md "Read deltas"). Fault model: the destination's copy of a file changed
// behind the receiver (so it is not the delta's base any more); a hostile or broken server whose delta message has
// ops outside the base or a frame checksum that does not match; and one whose whole record is wrong too. What must
// hold: the receiver never writes a byte it could not verify: a delta that does not rebuild the checksummed frame
// costs the record asked whole (the tree then exact), and a whole record that fails its check stops the receiver
// (CorruptionError) with the destination's file as it was.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/errors.js';
import { FRAME_HEADER_BYTES } from '../../src/log/index.js';
import { bytes } from '../helpers/net-fixture.js';
import { messages, overwrite, proxy, receive, servedBigFile, type Closers } from '../helpers/read-delta-fixture.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

const closers: Closers = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('read deltas that cannot be used', () => {
  it('a destination file changed behind the receiver: the rebuilt frame fails its check, the record comes whole, the tree is exact', async () => {
    const { base, sourceDir, file, builder, server } = await servedBigFile(closers);
    const out = join(base, 'out');
    await receive(server.url, out);
    await overwrite(join(out, 'src', 'big.bin'), 2 * 1024 * 1024, bytes(4096, 5));
    await overwrite(file, 6 * 1024 * 1024, bytes(1024, 97));
    await builder.record('big.bin');
    const { remote } = await receive(server.url, out);
    expect(server.stats.deltasSent).toBe(1);
    expect(remote.deltaStats).toEqual({ expanded: 0, refused: 1 });
    expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
  });

  for (const [attack, at] of [['ops out of range', 17 + FRAME_HEADER_BYTES + 12 + 1], ['a wrong checksum', 17]] as const) {
    it(`a hostile server's delta with ${attack} is not used: the record is asked whole and the tree is exact`, async () => {
      const { base, sourceDir, file, builder, server } = await servedBigFile(closers);
      const out = join(base, 'out');
      await receive(server.url, out);
      await overwrite(file, 3 * 1024 * 1024, bytes(1024, 96));
      await builder.record('big.bin');
      let tampered = 0;
      const url = await proxy(closers, server.url, (path, body) => {
        if (!path.startsWith('/v1/records') || !path.includes('delta=1')) return body;
        for (const message of messages(body).filter((m) => m.type === 0x05)) {
          if (at === 17) body[message.at + at]! ^= 0x40;
          else body.writeUInt32LE(0xfffff000, message.at + at);
          tampered++;
        }
        return body;
      });
      const { remote } = await receive(url, out);
      expect(tampered).toBe(1);
      expect(remote.deltaStats).toEqual({ expanded: 0, refused: 1 });
      expect(await snapshotTree(join(out, 'src'))).toEqual(await snapshotTree(sourceDir));
    });
  }

  it('a delta that fails and a whole record that fails too: refused (CorruptionError), the destination keeps the old file', async () => {
    const { base, file, builder, server } = await servedBigFile(closers);
    const out = join(base, 'out');
    await receive(server.url, out);
    const before = await readFile(join(out, 'src', 'big.bin'));
    await overwrite(file, 5 * 1024 * 1024, bytes(1024, 95));
    await builder.record('big.bin');
    const url = await proxy(closers, server.url, (path, body) => {
      if (!path.startsWith('/v1/records')) return body;
      for (const message of messages(body)) {
        if (message.type === 0x05) body[message.at + 17]! ^= 0x40;
        // The whole record asked after the delta (from=seq&limit=1): one payload byte flipped.
        if (message.type === 0x02 && /limit=1$/.test(path) && !/from=0&/.test(path)) body[message.at + 17 + FRAME_HEADER_BYTES]! ^= 0x01;
      }
      return body;
    });
    await expect(receive(url, out)).rejects.toBeInstanceOf(CorruptionError);
    expect((await readFile(join(out, 'src', 'big.bin'))).equals(before)).toBe(true);
  });
});
