// all-versions mode on in-memory records: every version kept under .versions with sortable names, deletions kept as
// markers, the latest view mirrored, and a manifest with exactly one line per record, even after a crash replay.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCursor, readCursor } from '../../../src/receiver/cursor.js';
import { fileSafeIsoTime, versionFileName } from '../../../src/receiver/apply-all-versions.js';
import type { ManifestLine } from '../../../src/receiver/manifest.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { snapshotTree } from '../../helpers/tree-snapshot.js';
import { MemoryLog } from './memory-log.js';
import { receive, scriptedChanges } from './fixtures.js';

async function manifest(dest: string): Promise<ManifestLine[]> {
  const text = await readFile(join(dest, '.synclog-receiver', 'manifest.jsonl'), 'utf8');
  return text.trimEnd().split('\n').map((line) => JSON.parse(line) as ManifestLine);
}

describe('all-versions', () => {
  it('names versions by time and id, keeping the extension', () => {
    const log = new MemoryLog();
    const stored = log.file('r', 'a/report.final.pdf', 'x');
    const name = versionFileName(stored.record as never)!;
    expect(name).toMatch(/^2026-11-21T10-00-01\.000Z_[0-9a-f]{20}\.pdf$/);
    expect(fileSafeIsoTime(Date.parse('2026-11-21T10:00:00.123Z'))).toBe('2026-11-21T10-00-00.123Z');
    expect(versionFileName(log.remove('r', 'a/report.final.pdf').record as never)).toMatch(/\.deleted$/);
    expect(versionFileName(log.dir('r', 'a').record as never)).toBeUndefined();
  });

  it('keeps every version side by side, records deletions, mirrors the latest state', async () => {
    const log = new MemoryLog();
    scriptedChanges(log);
    const latestDest = await makeTmpDir();
    await receive(log, latestDest, 'latest');
    const dest = await makeTmpDir();
    await receive(log, dest, 'all-versions');
    // The latest view is exactly what latest mode makes.
    expect(await snapshotTree(dest, { exclude: ['.synclog-receiver', '.versions'] })).toEqual(await snapshotTree(latestDest, { exclude: ['.synclog-receiver'] }));
    const aVersions = (await readdir(join(dest, '.versions/docs/notes/a.txt'))).sort();
    expect(aVersions).toHaveLength(2);
    expect(await readFile(join(dest, '.versions/docs/notes/a.txt', aVersions[0]!), 'utf8')).toBe('alpha\n');
    expect(await readFile(join(dest, '.versions/docs/notes/a.txt', aVersions[1]!), 'utf8')).toBe('alpha, modified\n');
    const bVersions = (await readdir(join(dest, '.versions/docs/notes/b.txt'))).sort();
    expect(bVersions.map((n) => n.endsWith('.deleted'))).toEqual([false, true]);
    expect(await readFile(join(dest, '.versions/docs/link-out', (await readdir(join(dest, '.versions/docs/link-out')))[0]!), 'utf8')).toBe('/usr/bin/env');
    const lines = await manifest(dest);
    expect(lines.map((l) => l.seq)).toEqual(log.stored.map((s) => s.seq));
    const renamed = lines.find((l) => l.renamedFrom === 'run.sh')!;
    expect(renamed).toMatchObject({ kind: 'version', event: 'renamed', path: 'bin-run.sh', latest: 'docs/bin-run.sh' });
    expect(await readFile(join(dest, renamed.file!), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(lines.find((l) => l.renamedTo === 'bin-run.sh')).toMatchObject({ kind: 'delete', event: 'deleted', path: 'run.sh' });
  });

  it('writes one manifest line per record after a crash replay', async () => {
    const log = new MemoryLog();
    scriptedChanges(log);
    const dest = await makeTmpDir();
    await receive(log, dest, 'all-versions');
    const expected = await snapshotTree(dest, { exclude: ['.synclog-receiver'] });
    const stateDir = join(dest, '.synclog-receiver');
    const fullBytes = (await readCursor(stateDir))!.manifestBytes;
    const lines = await manifest(dest);
    // A crash after record 7's line was committed but with everything applied: replay 7.. and cut the manifest.
    const committed = Buffer.byteLength(lines.slice(0, 7).map((l) => JSON.stringify(l) + '\n').join(''));
    await writeCursor(stateDir, { mode: 'all-versions', logDir: '/nonexistent/test-log', nextSeq: 7, reservedUntilSeq: log.endSeq, manifestBytes: committed });
    await receive(log, dest, 'all-versions');
    expect((await manifest(dest)).map((l) => l.seq)).toEqual(log.stored.map((s) => s.seq));
    expect((await readCursor(stateDir))!.manifestBytes).toBe(fullBytes);
    expect(await snapshotTree(dest, { exclude: ['.synclog-receiver'] })).toEqual(expected);
  });
});
