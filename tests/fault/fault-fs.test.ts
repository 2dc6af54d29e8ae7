// The fault-injecting file system (fault-fs.mjs) itself: what it journals and what a power cut then keeps. The
// cuts here use random = () => 0: every unsynced byte is dropped, no zeros are added, synced contents come back.
import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REAL_LOG_FILE_SYSTEM } from '../../src/log/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { createFaultFileSystem, cutPower } from './fault-fs.mjs';

const dropAll = { random: () => 0 };

async function setup() {
  const root = await makeTmpDir();
  const dir = join(root, 'log');
  const journal = join(root, 'journal.jsonl');
  await mkdir(dir);
  const fs = createFaultFileSystem(REAL_LOG_FILE_SYSTEM, journal);
  return { dir, journal, fs };
}

describe('fault file system', () => {
  it('cuts a file back to its synced length: bytes written after the last fdatasync are lost', async () => {
    const { dir, journal, fs } = await setup();
    const path = join(dir, 'seg');
    await fs.writeFileAtomic(path, new Uint8Array(40).fill(1));
    const handle = await open(path, 'r+');
    await handle.write(new Uint8Array(100).fill(2), 0, 100, 40);
    await fs.datasync(handle, path);
    await handle.write(new Uint8Array(500).fill(3), 0, 500, 140);
    await handle.close();
    fs.close();
    expect((await stat(path)).size).toBe(640);
    const report = cutPower(journal, dir, dropAll);
    expect(report.bytesDropped).toBe(500);
    const bytes = await readFile(path);
    expect(bytes.length).toBe(140);
    expect(bytes.subarray(40).every((b) => b === 2)).toBe(true);
  });

  it('keeps a file whose every byte was synced, and a synced name', async () => {
    const { dir, journal, fs } = await setup();
    const path = join(dir, 'marker');
    await fs.writeFileAtomic(path, new TextEncoder().encode('synced'));
    fs.close();
    const report = cutPower(journal, dir, dropAll);
    expect(report).toMatchObject({ removed: [], bytesDropped: 0 });
    expect(await readFile(path, 'utf8')).toBe('synced');
  });

  it('removes a file created without a directory fsync, even though its data was synced', async () => {
    const { dir, journal, fs } = await setup();
    await fs.writeFileAtomic(join(dir, 'kept'), new Uint8Array(8));
    await fs.writeFileAtomic(join(dir, 'index'), new Uint8Array(8), { skipDirSync: true });
    await writeFile(join(dir, 'never-synced'), 'x');
    fs.close();
    const report = cutPower(journal, dir, dropAll);
    expect(report.removed.sort()).toEqual(['index', 'never-synced']);
    expect(await readdir(dir)).toEqual(['kept']);
  });

  it('a later directory fsync makes an earlier unsynced name durable', async () => {
    const { dir, journal, fs } = await setup();
    await fs.writeFileAtomic(join(dir, 'index'), new Uint8Array(8), { skipDirSync: true });
    await fs.syncDir(dir);
    fs.close();
    expect(cutPower(journal, dir, dropAll).removed).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['index']);
  });

  it('gives a file synced by descriptor (the watermark) its synced bytes back', async () => {
    const { dir, journal, fs } = await setup();
    const path = join(dir, 'durable.seq');
    const fd = openSync(path, 'w+');
    await fs.syncDir(dir);
    writeSync(fd, Buffer.from('old-value-16byte'), 0, 16, 0);
    await fs.datasyncFd(fd, path);
    writeSync(fd, Buffer.from('new-value-16byte'), 0, 16, 0);
    closeSync(fd);
    fs.close();
    expect(cutPower(journal, dir, dropAll).contentsRestored).toBe(1);
    expect(await readFile(path, 'utf8')).toBe('old-value-16byte');
  });

  it('a truncate lowers the synced length, and what stays after a cut counts as durable for the next one', async () => {
    const { dir, journal, fs } = await setup();
    const path = join(dir, 'seg');
    await fs.writeFileAtomic(path, new Uint8Array(100).fill(1));
    const handle = await open(path, 'r+');
    await fs.truncate(handle, path, 60);
    await handle.write(new Uint8Array(30).fill(2), 0, 30, 60);
    await handle.close();
    // Not synced after the truncate: the 30 bytes written past it are lost.
    expect(cutPower(journal, dir, dropAll).bytesDropped).toBe(30);
    expect((await stat(path)).size).toBe(60);
    // After the cut, the 60 bytes are on disk: a second cut keeps them.
    await appendFile(path, new Uint8Array(10));
    expect(cutPower(journal, dir, dropAll).bytesDropped).toBe(10);
    expect((await stat(path)).size).toBe(60);
    fs.close();
  });
});
