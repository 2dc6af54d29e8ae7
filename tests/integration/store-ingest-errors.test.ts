// ingestFile refuses what it cannot record consistently: a file that changes while it is read (FileChangedError,
// the watcher retries), a directory, a missing file; an abort signal stops it. None of these leaves a version.
import { spawnSync } from 'node:child_process';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileChangedError, IoError } from '../../src/errors.js';
import { INGEST_COUNTERS, openStore } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { collect, prng } from '../unit/store/store-fixtures.js';

describe('ingestFile errors', () => {
  it('throws FileChangedError when the file changes while it is read', async () => {
    const dir = await makeTmpDir();
    const file = join(dir, 'busy.bin');
    await writeFile(file, prng(24 * 1024 * 1024, 3));
    const store = await openStore(join(dir, 'log'), { workers: 1 });
    try {
      let done = false;
      const ingest = store.ingestFile(file).then(
        () => undefined,
        (e: unknown) => e,
      ).finally(() => (done = true));
      // Touch the file (new mtime and ctime) until the ingest ends: some touch lands between its stats.
      for (let i = 1; !done; i++) {
        await utimes(file, 1_000_000 + i, 1_000_000 + i);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const error = await ingest;
      expect(error).toBeInstanceOf(FileChangedError);
      expect((error as FileChangedError).code).toBe('SYNCLOG_CHANGED');
      expect((error as FileChangedError).details).toMatchObject({ path: file });
      // Quiet again: the retry succeeds.
      const content = await store.ingestFile(file);
      expect(content.size).toBe(24 * 1024 * 1024);
    } finally {
      await store.close();
    }
  });

  it('refuses directories and missing files with IoError, and stops on abort', async () => {
    const dir = await makeTmpDir();
    const store = await openStore(join(dir, 'log'), { workers: 0 });
    try {
      await expect(store.ingestFile(dir)).rejects.toMatchObject({ code: 'SYNCLOG_IO', details: { errno: 'ENOTREG' } });
      const missing = await store.ingestFile(join(dir, 'nope')).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(IoError);
      expect((missing as IoError).details).toMatchObject({ errno: 'ENOENT' });
      await writeFile(join(dir, 'big.bin'), prng(8 * 1024 * 1024, 4));
      const controller = new AbortController();
      controller.abort();
      await expect(store.ingestFile(join(dir, 'big.bin'), { signal: controller.signal })).rejects.toThrow(/abort/i);
      expect((await store.stats()).versions).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('ingestFile read ahead', () => {
  it('an abort in the middle of a large file (a read in flight) rejects, and the store reads the file whole after', async () => {
    const dir = await makeTmpDir();
    const data = prng(24 * 1024 * 1024, 8);
    await writeFile(join(dir, 'big.bin'), data);
    const store = await openStore(join(dir, 'log'), { workers: 0 });
    try {
      const controller = new AbortController();
      const readBefore = INGEST_COUNTERS.bytesRead;
      // Abort once a few blocks are read: the next one is being read ahead then.
      const watch = setInterval(() => {
        if (INGEST_COUNTERS.bytesRead - readBefore >= 3 * 1024 * 1024) controller.abort();
      }, 1);
      const aborted = store.ingestFile(join(dir, 'big.bin'), { signal: controller.signal });
      await expect(aborted).rejects.toThrow(/abort/i);
      clearInterval(watch);
      expect(INGEST_COUNTERS.bytesRead - readBefore).toBeLessThan(data.length);
      const whole = await store.ingestFile(join(dir, 'big.bin'));
      expect(whole.size).toBe(data.length);
      expect((await collect(store.readContent(whole.chunks))).equals(Buffer.from(data))).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('ingestFile on special files', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const dir = await makeTmpDir();
    const fifo = join(dir, 'pipe');
    const made = spawnSync('mkfifo', [fifo]);
    expect(made.status).toBe(0);
    const store = await openStore(join(dir, 'log'), { workers: 0 });
    try {
      await expect(store.ingestFile(fifo)).rejects.toMatchObject({ code: 'SYNCLOG_IO', details: { errno: 'ENOTREG' } });
    } finally {
      await store.close();
    }
  });
});
