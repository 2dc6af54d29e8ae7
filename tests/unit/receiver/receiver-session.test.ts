// ReceiverSession over in-memory record sequences: the latest mirror, idempotent replay from every cursor
// position, the cursor's mode check, and a corrupt record stopping the run with the cursor before it.
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, UsageError } from '../../../src/errors.js';
import { writeCursor, readCursor } from '../../../src/receiver/cursor.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { snapshotTree } from '../../helpers/tree-snapshot.js';
import { MemoryLog } from './memory-log.js';
import { LOG_DIR, receive, scriptedChanges, STATE } from './fixtures.js';

describe('ReceiverSession latest', () => {
  it('mirrors creates, modifies, deletes, renames, moves, empty dirs and inside links', async () => {
    const log = new MemoryLog();
    scriptedChanges(log);
    const dest = await makeTmpDir();
    const summary = await receive(log, dest);
    const tree = await snapshotTree(dest, { exclude: STATE });
    expect(Object.keys(tree).sort()).toEqual(
      ['docs', 'docs/bin-run.sh', 'docs/deep', 'docs/empty', 'docs/link-to-a', 'docs/moved', 'docs/moved/c.bin', 'docs/notes', 'docs/notes/a.txt', 'photos', 'photos/x.jpg'].sort(),
    );
    expect(await readFile(join(dest, 'docs/notes/a.txt'), 'utf8')).toBe('alpha, modified\n');
    expect(tree['docs/notes/a.txt']!.mode).toBe(0o640);
    expect(tree['docs/bin-run.sh']!.mode).toBe(0o755);
    expect(tree['docs/notes']!.mode).toBe(0o750);
    expect(tree['docs/link-to-a']).toMatchObject({ type: 'symlink', target: 'notes/a.txt' });
    expect(tree['docs/moved/c.bin']!.size).toBe(20_000);
    const a = log.stored[4]!.record as { mtimeMs: number };
    expect(tree['docs/notes/a.txt']!.mtimeMs).toBe(Math.floor(a.mtimeMs));
    expect(summary).toMatchObject({ skippedSymlinks: 2, nextSeq: log.endSeq, fromSeq: 0 });
    const cursor = await readCursor(join(dest, '.synclog-receiver'));
    expect(cursor).toMatchObject({ mode: 'latest', nextSeq: log.endSeq, reservedUntilSeq: log.endSeq, logDir: LOG_DIR });
  });

  it('ends in the same tree when re-applied from every cursor position over a later state (crash replay)', async () => {
    const log = new MemoryLog();
    scriptedChanges(log);
    // Type changes make replay over a later state interesting: file → dir → link → file at one path.
    log.file('docs', 'shape', 'file first');
    log.remove('docs', 'shape');
    log.dir('docs', 'shape');
    log.file('docs', 'shape/inner', 'inside');
    log.remove('docs', 'shape/inner');
    log.remove('docs', 'shape', 'dir');
    log.symlink('docs', 'shape', 'notes');
    log.remove('docs', 'shape', 'symlink');
    log.file('docs', 'shape', 'file again');
    const reference = await makeTmpDir();
    await receive(log, reference);
    const expected = await snapshotTree(reference, { exclude: STATE });
    const dest = await makeTmpDir();
    await receive(log, dest);
    for (let seq = 0; seq <= log.endSeq; seq += 1) {
      await writeCursor(join(dest, '.synclog-receiver'), { mode: 'latest', logDir: LOG_DIR, nextSeq: seq, reservedUntilSeq: log.endSeq, manifestBytes: 0 });
      // The crash happened while record `seq` was being written: its temp file is left beside the target.
      const record = log.stored[seq]?.record;
      if (record?.kind === 'version' && record.type === 'file') {
        const dir = join(dest, record.root, ...record.path.split('/').slice(0, -1));
        await mkdir(dir, { recursive: true }).catch(() => {});
        await writeFile(join(dir, `.${record.path.split('/').pop()}.synclog-tmp-0123456789ab`), 'torn temp').catch(() => {});
      }
      await receive(log, dest);
      expect(await snapshotTree(dest, { exclude: STATE })).toEqual(expected);
    }
  });

  it('refuses to reuse a destination in another mode (UsageError)', async () => {
    const log = new MemoryLog();
    log.file('r', 'a', 'x');
    const dest = await makeTmpDir();
    await receive(log, dest, 'latest');
    await expect(receive(log, dest, 'all-versions')).rejects.toBeInstanceOf(UsageError);
  });

  it('stops at a corrupt record with the typed error, cursor saved just before it', async () => {
    const log = new MemoryLog();
    for (let i = 0; i < 10; i++) log.file('r', `f${i}`, `content ${i}`);
    log.corruptAtSeq = 6;
    const dest = await makeTmpDir();
    const error = await receive(log, dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptionError);
    expect((error as CorruptionError).details).toMatchObject({ seq: 6, offset: 664, file: '00000000000000000000.seg' });
    expect((await readCursor(join(dest, '.synclog-receiver')))!.nextSeq).toBe(6);
    expect(Object.keys(await snapshotTree(dest, { exclude: STATE })).sort()).toEqual(['r', 'r/f0', 'r/f1', 'r/f2', 'r/f3', 'r/f4', 'r/f5']);
  });

  it('refuses a record that would write through a symlink the user made in the destination', async () => {
    const dest = await makeTmpDir();
    const outside = await makeTmpDir();
    await mkdir(join(dest, 'r'));
    await symlink(outside, join(dest, 'r', 'escape'));
    const log = new MemoryLog();
    log.file('r', 'escape/pwned', 'x');
    await expect(receive(log, dest)).rejects.toMatchObject({ code: 'SYNCLOG_UNSAFE_PATH', details: { reason: 'through-symlink', seq: 0 } });
    expect(await snapshotTree(outside)).toEqual({});
  });
});
