// Fault model: a hostile or damaged log. Records are msgpack-encoded by hand and appended with the log's own
// append({tag, payload}), bypassing encodeRecord's checks: paths with '..', absolute paths, NUL, backslashes, bad
// roots, and writes through a link the log itself created or the user left in the destination; then a byte flipped
// in the middle of the log. What must hold: the receiver refuses with a typed error naming the record (seq, segment,
// offset), stops there (never skips), and nothing outside the destination is created or changed.
import { encode } from '@msgpack/msgpack';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../src/errors.js';
import { Log } from '../../src/log/index.js';
import { newVersionId, RECORD_TAGS } from '../../src/record/index.js';
import { LogReceiver } from '../../src/receiver/index.js';
import { flipByte } from '../helpers/corrupt.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';

function versionPayload(fields: Record<string, unknown>): Uint8Array {
  const time = Date.now();
  return encode({ versionId: newVersionId(time), time, root: 'r', type: 'dir', event: 'created', size: 0, mtimeMs: time, mode: 0o755, uid: 0, gid: 0, ...fields });
}

/** A log of one good directory record followed by `hostile` (raw fields), appended as the log's own bytes. */
async function hostileLog(logDir: string, hostile: Record<string, unknown>[]): Promise<{ segment: string; offsets: number[] }> {
  const log = await Log.open(logDir, {});
  try {
    const positions = [await log.append({ tag: RECORD_TAGS.version, payload: versionPayload({ path: 'fine' }) })];
    for (const fields of hostile) positions.push(await log.append({ tag: RECORD_TAGS.version, payload: versionPayload(fields) }));
    return { segment: positions[1]!.segment, offsets: positions.map((p) => p.offset) };
  } finally {
    await log.close();
  }
}

const ATTACKS: [name: string, fields: Record<string, unknown>][] = [
  ['receiver-dotdot', { path: '../../escaped' }],
  ['receiver-dotdot-inside', { path: 'a/../../../escaped' }],
  ['receiver-absolute', { path: '/tmp/escaped' }],
  ['receiver-nul', { path: 'a\0b' }],
  ['receiver-backslash', { path: '..\\..\\escaped' }],
  ['receiver-root-dotdot', { root: '..', path: 'escaped' }],
  ['receiver-root-absolute', { root: '/tmp', path: 'escaped' }],
];

describe('hostile records in a real log', () => {
  for (const [name, fields] of ATTACKS) {
    it(`${name}: refused naming seq, segment and offset; nothing outside the destination`, async () => {
      const work = await makeTmpDir();
      const logDir = join(work, 'log');
      const { segment, offsets } = await hostileLog(logDir, [fields]);
      const error = await new LogReceiver({ logPath: logDir, outputPath: join(work, 'dest') }).catchUp().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptionError);
      expect((error as CorruptionError).details).toMatchObject({ seq: 1, file: segment, offset: offsets[1] });
      expect((await readdir(work)).sort()).toEqual(['dest', 'log']);
      expect(Object.keys(await snapshotTree(join(work, 'dest'), { exclude: ['.synclog-receiver'] }))).toEqual(['r', 'r/fine']);
      const cursor = JSON.parse(await readFile(join(work, 'dest/.synclog-receiver/cursor.json'), 'utf8')) as { nextSeq: number };
      expect(cursor.nextSeq).toBe(1);
    });
  }

  it('receiver-symlink-then-write-through: a file under a link the log created is refused (through-symlink)', async () => {
    const work = await makeTmpDir();
    const logDir = join(work, 'log');
    await hostileLog(logDir, [
      { path: 'link', type: 'symlink', target: '.', mode: 0o777 },
      { path: 'link/pwned', type: 'dir' },
    ]);
    const result = await runCli(['receive', '--log', logDir, '--out', join(work, 'dest'), '--once', '--json']);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as { error: { code: string; details: Record<string, unknown>; message: string } };
    expect(body.error).toMatchObject({ code: 'SYNCLOG_UNSAFE_PATH', details: { reason: 'through-symlink', seq: 2 } });
    expect(body.error.message).toMatch(/record #2 \(segment \d{20}\.seg, offset \d+\)/);
    expect(Object.keys(await snapshotTree(join(work, 'dest'), { exclude: ['.synclog-receiver'] })).sort()).toEqual(['r', 'r/fine', 'r/link']);
  });

  it('receiver-user-link-escape: a link the user left in the destination is never written through', async () => {
    const work = await makeTmpDir();
    const outside = join(work, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'keep.txt'), 'untouched');
    const dest = join(work, 'dest');
    await mkdir(join(dest, 'r'), { recursive: true });
    await symlink(outside, join(dest, 'r', 'escape'));
    const logDir = join(work, 'log');
    await hostileLog(logDir, [{ path: 'escape/keep.txt', type: 'dir' }]);
    const error = await new LogReceiver({ logPath: logDir, outputPath: dest }).catchUp().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SYNCLOG_UNSAFE_PATH', details: { reason: 'through-symlink', seq: 1 } });
    expect(await snapshotTree(outside)).toMatchObject({ 'keep.txt': { type: 'file', size: 9 } });
    expect(Object.keys(await snapshotTree(outside))).toEqual(['keep.txt']);
  });

  it('receiver-corrupt-mid-log: a flipped byte stops the receiver with CorruptionError naming segment and offset', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'r');
    await mkdir(source);
    for (let i = 0; i < 6; i++) await writeFile(join(source, `f${i}.txt`), `file ${i}\n`);
    const builder = await LogBuilder.open(join(work, 'log'), source);
    const positions = [];
    try {
      for (let i = 0; i < 6; i++) {
        const version = (await builder.versionOf(`f${i}.txt`))!;
        positions.push(...(await builder.store.appendRecords([version])));
      }
    } finally {
      await builder.close();
    }
    const victim = positions[3]!;
    await flipByte(join(work, 'log', victim.segment), victim.offset + 12);
    const result = await runCli(['receive', '--log', join(work, 'log'), '--out', join(work, 'dest'), '--once', '--json']);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as { error: { code: string; details: { file: string; offset: number } } };
    expect(body.error.code).toBe('SYNCLOG_CORRUPT');
    expect(body.error.details.file).toContain(victim.segment);
    expect(body.error.details.offset).toBe(victim.offset);
    expect(Object.keys(await snapshotTree(join(work, 'dest/r'))).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt']);
    // Never skipped: a second run stops at the same record.
    const again = await runCli(['receive', '--log', join(work, 'log'), '--out', join(work, 'dest'), '--once', '--json']);
    expect(again.code).toBe(1);
    expect(Object.keys(await snapshotTree(join(work, 'dest/r'))).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt']);
  });
});
