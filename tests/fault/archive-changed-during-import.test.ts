// Fault model: the archive file changes after pass 1 checked it, while pass 2 is appending (another process rewrites
// it in place). Pass 2 re-checks every hash, so the change is caught in the middle of the atomic append.
// Must survive: the import fails and nothing of it stays: same record count and verify verdict, also after reopening.
import { readFile, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportArchive, importArchive } from '../../src/archive/index.js';
import { ArchiveError } from '../../src/errors.js';
import { buildTarGz } from '../fixtures/archives/build-archive.js';
import { unpackEntries } from '../fixtures/archives/hostile-check.js';
import { TestLog, logState, noise } from '../fixtures/archives/test-log.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('archive-changed-during-import', () => {
  it('a content byte changed between the passes fails the commit and leaves the log as it was', async () => {
    const dir = await makeTmpDir();
    const source = await TestLog.open(join(dir, 'source'));
    await source.file('r', 'one.bin', noise(600_000, 21));
    await source.file('r', 'two.bin', noise(600_000, 22));
    const file = join(dir, 'a.tar.gz');
    await exportArchive(source.store, { kind: 'all' }, file, { gzipLevel: 1 });
    await source.store.close();
    // The same archive with one byte of two.bin changed (a valid gzip whose content no longer matches its manifest).
    const entries = await unpackEntries(await readFile(file));
    const two = entries.find((e) => e.name === 'r/two.bin')!;
    (two.data as Buffer)[300_000]! ^= 0xff;
    const tampered = await buildTarGz(entries);
    const original = await readFile(file);

    const target = await TestLog.open(join(dir, 'target'));
    await target.file('home', 'keep.txt', 'keep');
    const before = await logState(target.store);
    let swapped = false;
    const error = await importArchive(target.store, file, {
      onProgress: (done) => {
        // In pass 2 (past the first file size), before two.bin is read: swap the bytes under the open stream.
        if (!swapped && done > original.length) {
          swapped = true;
          writeFileSync(file, tampered);
        }
      },
    }).then(() => undefined, (e: unknown) => e);
    expect(swapped).toBe(true);
    expect(error).toBeInstanceOf(ArchiveError);
    expect(['manifest-mismatch', 'corrupt-gzip', 'corrupt-tar', 'truncated']).toContain((error as ArchiveError).details.reason);
    expect(await logState(target.store)).toEqual(before);
    await target.store.close();
    const reopened = await TestLog.open(join(dir, 'target'));
    expect(await logState(reopened.store)).toEqual(before);
    await reopened.store.close();
    await writeFile(file, original);
  });
});
