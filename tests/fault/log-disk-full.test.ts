// Issue 13 item 2 at the log: a full disk refuses the append that hit it (and everything queued behind it) with
// DiskFullError, cuts the segment back to its durable end, and the writer takes appends again once space returns:
// nothing acknowledged is lost, nothing refused is half there, seqs stay dense. Through the file-system seam (a
// datasync or a new segment that fails with ENOSPC) and, where a tmpfs can be mounted, on a real full disk.
import { writeFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskFullError } from '../../src/errors.js';
import { Log, verifyLog, type AppendInput } from '../../src/log/index.js';
import { REAL_LOG_FILE_SYSTEM, type LogFileSystem } from '../../src/log/log-fs.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { CAN_MOUNT_TMPFS, mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';

const text = (s: string) => new TextEncoder().encode(s);
const record = (i: number, bytes = 16): AppendInput => ({ tag: 1, payload: text(`record ${i} `.padEnd(bytes, '.')) });

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

/**
 * The real file system, except that while `full` is set a new file, or a datasync that has new bytes to write (the
 * file grew since its last sync), fails with ENOSPC, as delayed allocation reports it; a sync with nothing to write
 * (after a cut back) succeeds.
 */
function fillableFs(): LogFileSystem & { full: boolean } {
  const synced = new Map<string, number>();
  const fs = {
    full: false,
    writeFileAtomic: (path: string, bytes: Uint8Array, options?: { skipDirSync?: boolean }) =>
      fs.full ? Promise.reject(enospc()) : REAL_LOG_FILE_SYSTEM.writeFileAtomic(path, bytes, options),
    datasync: async (handle: Parameters<LogFileSystem['datasync']>[0], path: string) => {
      const { size } = await handle.stat();
      if (fs.full && size > (synced.get(path) ?? 0)) throw enospc();
      await REAL_LOG_FILE_SYSTEM.datasync(handle, path);
      synced.set(path, size);
    },
    datasyncFd: REAL_LOG_FILE_SYSTEM.datasyncFd,
    truncate: REAL_LOG_FILE_SYSTEM.truncate,
    syncDir: REAL_LOG_FILE_SYSTEM.syncDir,
  };
  return fs;
}

async function payloads(dir: string): Promise<string[]> {
  const log = await Log.open(dir, { readOnly: true });
  const out: string[] = [];
  for await (const entry of log.read()) out.push(new TextDecoder().decode(entry.payload).split(' ').slice(0, 2).join(' '));
  await log.close();
  return out;
}

describe('log on a full disk', () => {
  it('refuses the append that hit ENOSPC, cuts it back, and appends again once space returns', async () => {
    const dir = await makeTmpDir();
    const fs = fillableFs();
    const log = await Log.open(dir, { fileSystem: fs });
    await log.appendMany([record(0), record(1)]);
    const newest = async () => (await stat(join(dir, (await log.segments()).at(-1)!.name))).size;
    const durableSize = await newest();
    fs.full = true;
    await expect(log.append(record(2))).rejects.toBeInstanceOf(DiskFullError);
    // Cut back to the durable end: no trace of the refused record.
    expect(await newest()).toBe(durableSize);
    await expect(log.append(record(3))).rejects.toBeInstanceOf(DiskFullError);
    fs.full = false;
    const after = await log.append(record(4));
    expect(after.seq).toBe(2); // refused appends take no seq: seqs stay dense
    await log.close();
    expect(await payloads(dir)).toEqual(['record 0', 'record 1', 'record 4']);
    expect((await verifyLog(dir)).ok).toBe(true);
  });

  it('refuses everything queued behind a refused append (a version may need a refused chunk)', async () => {
    const dir = await makeTmpDir();
    const fs = fillableFs();
    const log = await Log.open(dir, { fileSystem: fs });
    fs.full = true;
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.append(record(i))));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof DiskFullError)).toBe(true);
    fs.full = false;
    expect((await log.append(record(99))).seq).toBe(0);
    await log.close();
    expect(await payloads(dir)).toEqual(['record 99']);
  });

  it('an atomic group refused by a full disk leaves nothing of itself', async () => {
    const dir = await makeTmpDir();
    const fs = fillableFs();
    const log = await Log.open(dir, { fileSystem: fs });
    await log.append(record(0));
    fs.full = true;
    await expect(log.appendAtomic([record(1), record(2), record(3)])).rejects.toBeInstanceOf(DiskFullError);
    fs.full = false;
    await log.appendAtomic([record(4), record(5)]);
    await log.close();
    expect(await payloads(dir)).toEqual(['record 0', 'record 4', 'record 5']);
    expect((await verifyLog(dir)).ok).toBe(true);
  });

  it('a rollover refused by a full disk is tried again at the next commit', async () => {
    const dir = await makeTmpDir();
    const fs = fillableFs();
    const log = await Log.open(dir, { fileSystem: fs, segmentBytesMax: 4096 });
    let i = 0;
    while ((await log.segments()).length === 1) await log.append(record(i++, 512));
    const segmentsBefore = (await log.segments()).length;
    // Fill the new segment to its limit, then refuse the next rollover.
    for (;;) {
      fs.full = true;
      const attempt = await log.append(record(i, 512)).then(() => 'ok', (e: unknown) => e);
      fs.full = false;
      if (attempt === 'ok') i++;
      else {
        expect(attempt).toBeInstanceOf(DiskFullError);
        break;
      }
    }
    await log.append(record(i++, 512));
    await log.close();
    const all = await payloads(dir);
    expect(all).toEqual(Array.from({ length: i }, (_, k) => `record ${k}`));
    expect((await verifyLog(dir)).ok).toBe(true);
  });

  describe.runIf(CAN_MOUNT_TMPFS)('on a real tmpfs (needs mount)', () => {
    let disk: SmallDisk | undefined;
    afterEach(() => {
      disk?.unmount();
      disk = undefined;
    });

    it('fills a 1 MiB disk, refuses, then takes appends again once a file is removed; all acknowledged records survive', async () => {
      disk = mountSmallDisk(1024 * 1024);
      const ballast = join(disk.dir, 'ballast');
      await writeFile(ballast, new Uint8Array(256 * 1024));
      const dir = join(disk.dir, 'log');
      const log = await Log.open(dir);
      const acknowledged: number[] = [];
      let refusal: unknown;
      for (let i = 0; i < 10_000 && refusal === undefined; i++) {
        await log.append(record(i, 8192)).then(() => acknowledged.push(i), (e: unknown) => (refusal = e));
      }
      expect(refusal).toBeInstanceOf(DiskFullError);
      expect(acknowledged.length).toBeGreaterThan(50);
      await rm(ballast);
      const next = acknowledged.length;
      await log.append(record(next, 8192));
      await log.close();
      expect(await payloads(dir)).toEqual([...acknowledged, next].map((k) => `record ${k}`));
      expect((await verifyLog(dir)).ok).toBe(true);
    });
  });
});
