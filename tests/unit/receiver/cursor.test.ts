// The destination's cursor and lock: a damaged cursor is a typed error (never guessed), one receiver per destination,
// and a lock left by a dead process is taken over.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, LockedError, UsageError } from '../../../src/errors.js';
import { checkCursorFits, lockDestination, readCursor, writeCursor } from '../../../src/receiver/cursor.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

describe('receiver cursor', () => {
  it('round-trips, and refuses a damaged file with CorruptionError', async () => {
    const dir = await makeTmpDir();
    expect(await readCursor(dir)).toBeUndefined();
    await writeCursor(dir, { mode: 'all-versions', logDir: '/logs/a', nextSeq: 12, reservedUntilSeq: 40, manifestBytes: 99 });
    expect(await readCursor(dir)).toMatchObject({ format: 1, mode: 'all-versions', logDir: '/logs/a', nextSeq: 12, reservedUntilSeq: 40, manifestBytes: 99 });
    await writeFile(join(dir, 'cursor.json'), '{"format":1,"mode":"latest","nextSeq":');
    await expect(readCursor(dir)).rejects.toBeInstanceOf(CorruptionError);
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ format: 1, mode: 'latest', logDir: '/l', nextSeq: 5, reservedUntilSeq: 2, manifestBytes: 0 }));
    await expect(readCursor(dir)).rejects.toBeInstanceOf(CorruptionError);
  });

  it('says which mode or log a destination belongs to when they differ (UsageError)', () => {
    const cursor = { format: 1 as const, mode: 'latest' as const, logDir: '/logs/a', nextSeq: 0, reservedUntilSeq: 0, manifestBytes: 0, savedAt: '' };
    expect(() => checkCursorFits(cursor, 'latest', '/logs/a', '/dest')).not.toThrow();
    expect(() => checkCursorFits(cursor, 'all-versions', '/logs/a', '/dest')).toThrow(UsageError);
    expect(() => checkCursorFits(cursor, 'latest', '/logs/b', '/dest')).toThrow(/follows the log \/logs\/a/);
  });
});

describe('destination lock', () => {
  it('admits one receiver at a time and takes over a dead holder', async () => {
    const dir = join(await makeTmpDir(), 'state');
    const release = await lockDestination(dir);
    await expect(lockDestination(dir)).rejects.toBeInstanceOf(LockedError);
    await release();
    const again = await lockDestination(dir);
    await again();
    await mkdir(dir, { recursive: true });
    // A lock from a process that no longer exists (pid far above pid_max) on this host is taken over.
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 4_000_000_000, host: hostname() }));
    const takeover = await lockDestination(dir);
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await takeover();
  });

  it('takes over a lock whose pid now belongs to another process (its start time differs)', async () => {
    const dir = join(await makeTmpDir(), 'state');
    await mkdir(dir, { recursive: true });
    // pid 1 is alive, but it is not the process that wrote this lock: the start time says so.
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 1, host: hostname(), startTime: '1', token: 'old', since: '2026-01-01' }));
    const release = await lockDestination(dir);
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
  });

  it('takes over a stale lock even when a taker died holding the takeover guard, and leaves no guard behind', async () => {
    const dir = join(await makeTmpDir(), 'state');
    await mkdir(dir, { recursive: true });
    const dead = { pid: 4_000_000_000, host: hostname(), token: 'dead', since: '2026-01-01' };
    await writeFile(join(dir, 'lock'), JSON.stringify(dead));
    await writeFile(join(dir, 'lock.takeover'), JSON.stringify({ ...dead, token: 'dead-taker' }));
    const release = await lockDestination(dir);
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    expect((await readdir(dir)).sort()).toEqual(['lock']);
    await release();
  });

  it('of receivers racing for a stale lock, exactly one gets it', async () => {
    const dir = join(await makeTmpDir(), 'state');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 4_000_000_000, host: hostname() }));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => lockDestination(dir)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockedError);
    await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value();
  });
});
