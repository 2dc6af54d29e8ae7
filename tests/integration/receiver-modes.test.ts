// LogReceiver over a real log built through the store: a source tree and a scripted series of changes (create,
// modify, delete, rename, move, empty dir, symlink, chmod), received in both modes and compared byte for byte with
// the source (content, mode, mtime, link targets); then following a live log.
import { chmod, mkdir, readdir, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogReceiver, type AppliedChange, type ManifestLine } from '../../src/receiver/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { LogBuilder } from './receiver-log-builder.js';
import { seededBytes } from '../helpers/seeded-bytes.js';

const bytes = seededBytes;

async function makeSource(dir: string): Promise<void> {
  await mkdir(join(dir, 'notes/deep/er'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'notes/a.txt'), 'alpha\n');
  await writeFile(join(dir, 'notes/deep/er/big.bin'), bytes(700_000, 1));
  await writeFile(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await writeFile(join(dir, 'empty-file'), '');
  await symlink('notes/a.txt', join(dir, 'link-a'));
  await chmod(join(dir, 'notes/deep'), 0o700);
  await utimes(join(dir, 'notes/a.txt'), new Date('2020-01-02T03:04:05.678Z'), new Date('2020-01-02T03:04:05.678Z'));
}

/** The scripted changes, each recorded as the watcher would. */
async function changeSource(dir: string, log: LogBuilder): Promise<void> {
  await writeFile(join(dir, 'notes/a.txt'), 'alpha, modified\n');
  await chmod(join(dir, 'notes/a.txt'), 0o600);
  await log.record('notes/a.txt');
  await rm(join(dir, 'empty-file'));
  await log.record('empty-file');
  await rename(join(dir, 'run.sh'), join(dir, 'start.sh'));
  await log.recordRename('run.sh', 'start.sh');
  await mkdir(join(dir, 'moved'));
  await log.record('moved');
  await rename(join(dir, 'notes/deep/er/big.bin'), join(dir, 'moved/big.bin'));
  await log.recordRename('notes/deep/er/big.bin', 'moved/big.bin');
  await rm(join(dir, 'notes/deep'), { recursive: true });
  await log.store.appendRecords([log.deleteOf('notes/deep/er', 'dir'), log.deleteOf('notes/deep', 'dir')]);
  await mkdir(join(dir, 'new-empty'));
  await log.record('new-empty');
  await symlink('../moved/big.bin', join(dir, 'notes/link-big'));
  await log.record('notes/link-big');
  await rm(join(dir, 'link-a'));
  await writeFile(join(dir, 'link-a'), 'now a file');
  await log.record('link-a');
}

describe('LogReceiver on a real log', () => {
  for (const mode of ['latest', 'all-versions'] as const) {
    it(`${mode}: the destination equals the source after an initial record and a series of changes`, async () => {
      const work = await makeTmpDir();
      const source = join(work, 'docs');
      const logDir = join(work, 'log');
      const dest = join(work, 'dest');
      await mkdir(source);
      await makeSource(source);
      const log = await LogBuilder.open(logDir, source);
      try {
        await log.recordAll();
        const first = await new LogReceiver({ logPath: logDir, outputPath: dest, mode }).catchUp();
        expect(first).toMatchObject({ mode, fromSeq: 0, skippedSymlinks: 0 });
        expect(await snapshotTree(join(dest, 'docs'))).toEqual(await snapshotTree(source));
        await changeSource(source, log);
        const second = await new LogReceiver({ logPath: logDir, outputPath: dest, mode }).catchUp();
        expect(second.fromSeq).toBe(first.nextSeq);
        expect(await snapshotTree(join(dest, 'docs'))).toEqual(await snapshotTree(source));
        expect((await readdir(dest)).sort()).toEqual(mode === 'latest' ? ['.synclog-receiver', 'docs'] : ['.synclog-receiver', '.versions', 'docs']);
        if (mode === 'all-versions') {
          const versions = (await readdir(join(dest, '.versions/docs/notes/a.txt'))).sort();
          expect(versions).toHaveLength(2);
          expect(await readFile(join(dest, '.versions/docs/notes/a.txt', versions[0]!), 'utf8')).toBe('alpha\n');
          const lines = (await readFile(join(dest, '.synclog-receiver/manifest.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as ManifestLine);
          expect(lines.length).toBe(first.changes + second.changes);
          expect(lines.filter((l) => l.kind === 'delete').map((l) => l.path)).toContain('empty-file');
        }
      } finally {
        await log.close();
      }
    });
  }

  it('follows a live log and stops with the cursor saved', async () => {
    const work = await makeTmpDir();
    const source = join(work, 'docs');
    const logDir = join(work, 'log');
    const dest = join(work, 'dest');
    await mkdir(source);
    await writeFile(join(source, 'first.txt'), 'one');
    const log = await LogBuilder.open(logDir, source);
    try {
      await log.recordAll();
      await using receiver = new LogReceiver({ logPath: logDir, outputPath: dest });
      const applied: AppliedChange[] = [];
      receiver.on('applied', (change) => applied.push(change));
      await receiver.start();
      expect(await readFile(join(dest, 'docs/first.txt'), 'utf8')).toBe('one');
      const seen = new Promise<AppliedChange>((resolve) => receiver.on('applied', (c) => c.path === 'second.txt' && resolve(c)));
      await writeFile(join(source, 'second.txt'), 'two');
      await log.record('second.txt');
      expect(await seen).toMatchObject({ action: 'write', display: 'docs/second.txt', bytes: 3 });
      expect(await readFile(join(dest, 'docs/second.txt'), 'utf8')).toBe('two');
      const summary = await receiver.stop();
      expect(summary?.nextSeq).toBeGreaterThan(applied[0]!.seq);
      const cursor = JSON.parse(await readFile(join(dest, '.synclog-receiver/cursor.json'), 'utf8')) as { nextSeq: number; reservedUntilSeq: number };
      expect(cursor.nextSeq).toBe(summary!.nextSeq);
      expect(cursor.reservedUntilSeq).toBe(cursor.nextSeq);
    } finally {
      await log.close();
    }
  });
});
