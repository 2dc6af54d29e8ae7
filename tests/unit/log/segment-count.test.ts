// Counting a segment's records (what a read-only open and segments() need, once per GET /v1/log on a server): a
// count kept from before must never be wrong. The same file unchanged gives the same count; grown (a writer
// appending, an atomic group included) it is counted on; cut back and rewritten, or replaced, it is counted afresh.
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log } from '../../../src/log/index.js';
import { countSegmentRecords } from '../../../src/log/segment-count.js';
import { listSegments } from '../../../src/log/segment-file.js';
import { truncateTo } from '../../helpers/corrupt.js';
import { buildLog, recordFor } from '../../helpers/log-fixture.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

async function only(dir: string) {
  const [ref] = await listSegments(dir);
  return ref!;
}

describe('countSegmentRecords', () => {
  it('counts a grown segment on from the last count, an open atomic group not counted until its last frame', async () => {
    const dir = join(await makeTmpDir(), 'log');
    await buildLog(dir, 10, {}, 200);
    const ref = await only(dir);
    expect(await countSegmentRecords(ref)).toBe(10);
    expect(await countSegmentRecords(ref)).toBe(10);
    const log = await Log.open(dir);
    await log.appendMany([recordFor(10, 200), recordFor(11, 200)]);
    await log.appendAtomic([recordFor(12, 200), recordFor(13, 200), recordFor(14, 200)]);
    await log.close();
    expect(await countSegmentRecords(ref)).toBe(15);
    // Half of a group's frames (its last not there): counted up to before the group, and on once it is whole.
    const path = ref.path;
    const whole = await readFile(path);
    const cut = whole.length - 300;
    await truncateTo(path, cut);
    expect(await countSegmentRecords(ref)).toBe(12);
    await appendFile(path, whole.subarray(cut));
    expect(await countSegmentRecords(ref)).toBe(15);
  });

  it('counts afresh a segment cut back and written again to its old size, and one replaced by another file', async () => {
    const dir = join(await makeTmpDir(), 'log');
    await buildLog(dir, 12, {}, 200);
    const ref = await only(dir);
    const whole = await readFile(ref.path);
    expect(await countSegmentRecords(ref)).toBe(12);
    // Same inode, same size, other bytes: the tail of the last record overwritten with zeros (a torn tail).
    await truncateTo(ref.path, whole.length - 50);
    await appendFile(ref.path, Buffer.alloc(50));
    expect(await countSegmentRecords(ref)).toBe(11);
    // Another file renamed over it (as a prune does): a shorter log's segment under the same name.
    const other = join(await makeTmpDir(), 'log');
    await buildLog(other, 3, {}, 200);
    const copy = join(dir, 'replacement.tmp');
    await writeFile(copy, await readFile((await only(other)).path));
    await rename(copy, ref.path);
    expect(await countSegmentRecords(ref)).toBe(3);
  });
});
