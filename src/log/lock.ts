// The single-writer lock: a LOCK file created exclusively, holding {pid, host, bootId, startTime, token}.
// Owns: refusing a second writer with LockedError naming the holder, and taking over a lock whose holder is dead
// (same host, process gone or its pid reused). Never deletes a lock it does not hold.
// Race-safety of a takeover: takers of a stale lock serialise on a guard file (`<lock>.takeover`, created exclusively
// like the lock); only the guard's holder removes the lock, after checking it is still the stale one it judged, so
// no taker can remove a lock another taker has just created; the new lock is then created with O_EXCL, so of any
// number of takers at most one ever holds the lock. (Moving the stale file aside and putting back anything else, as
// before, lost a three-way race: a third taker could create the lock while a fresh one was aside, and the put-back
// then failed, leaving two holders. Seen once in the suite's eight-way race.)
import { randomBytes } from 'node:crypto';
import { link, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LockedError, wrapIoError } from '../errors.js';
import { LOG_LIMITS } from '../util/limits.js';
import { procStatFields } from '../util/proc-stat.js';
import { LOCK_FILE_NAME } from './format.js';

interface LockContent {
  pid: number;
  host: string;
  bootId?: string;
  startTime?: string;
  token: string;
  since: string;
}

export interface LogLock {
  readonly path: string;
  release(): Promise<void>;
}

const TAKEOVER_ATTEMPTS_MAX = 5;

function readProcFile(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

/** Field 22 of /proc/<pid>/stat: the process start time, which tells a reused pid from the original. */
async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await readProcFile(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : procStatFields(stat)?.[19];
}

/** What names this process for a lock and never changes while it runs: read once (every follower's wait asked). */
let processFacts: Promise<Pick<LockContent, 'host' | 'bootId' | 'startTime'>> | undefined;

function ownFacts(): Promise<Pick<LockContent, 'host' | 'bootId' | 'startTime'>> {
  processFacts ??= (async () => ({
    host: hostname(),
    bootId: await readProcFile('/proc/sys/kernel/random/boot_id'),
    startTime: await processStartTime(process.pid),
  }))();
  return processFacts;
}

/** A lock's content for this process: its facts, and a fresh token and time for each lock it takes. */
async function ownContent(): Promise<LockContent> {
  return { pid: process.pid, ...(await ownFacts()), token: randomBytes(12).toString('hex'), since: new Date().toISOString() };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True only when the holder is certainly gone: same host, and its boot, pid or process start time is gone. */
async function holderIsDead(holder: LockContent, own: LockContent): Promise<boolean> {
  if (holder.host !== own.host) return false;
  if (holder.bootId && own.bootId && holder.bootId !== own.bootId) return true;
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  if (holder.pid === process.pid && holder.token !== own.token) return holder.startTime !== own.startTime;
  if (!isAlive(holder.pid)) return true;
  if (holder.startTime) {
    const now = await processStartTime(holder.pid);
    return now !== undefined && now !== holder.startTime;
  }
  return false;
}

/** The lock's content; 'missing' when there is no lock file; undefined when it cannot be read or parsed. */
async function readLockOrMissing(path: string): Promise<LockContent | 'missing' | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > LOG_LIMITS.lockFileBytesMax) return undefined;
    const value = JSON.parse(text) as LockContent;
    if (typeof value !== 'object' || value === null) return undefined;
    if (typeof value.token === 'string') return value;
    // The older destination lock of a receiver (before 0.1.1) held only {pid, host}: judged by those two.
    return typeof value.pid === 'number' && typeof value.host === 'string' ? { ...value, token: '', since: '' } : undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
}

async function readLock(path: string): Promise<LockContent | undefined> {
  const got = await readLockOrMissing(path);
  return got === 'missing' ? undefined : got;
}

/**
 * Creates the lock with its content in one step: the JSON is written and fsynced in a private temp file which is
 * then hard-linked to LOCK (link fails with EEXIST when LOCK exists). So LOCK is never seen empty or half-written,
 * even if this process dies midway.
 */
async function createExclusive(path: string, content: LockContent): Promise<boolean> {
  const temp = `${path}${TEMP_INFIX}${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(JSON.stringify(content) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw wrapIoError(error, 'create lock', path);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Names a taker's private temp: `LOCK.new-<pid>-<random>`, so a later holder can tell a dead taker's leftover. */
const TEMP_INFIX = '.new-';

/**
 * Removes temps that takers killed between create and unlink left beside the lock (a SIGKILL there leaves
 * `LOCK.new-…` for good). Only the holder sweeps, and only temps whose pid is not alive on this host: a live
 * taker's temp is its own (and a reused pid only leaves a leftover in place). Best effort.
 */
async function sweepDeadTakersTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}${TEMP_INFIX}`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) await unlink(join(dirname(path), name)).catch(() => {});
  }
}

/** Same holder, same lock: a lock another taker has created since carries a new token (legacy ones: pid, host, since). */
function sameLock(a: LockContent, b: LockContent): boolean {
  return a.token === b.token && a.pid === b.pid && a.host === b.host && a.since === b.since;
}

/** How long a taker that found another taker's guard waits before it looks at the lock again. */
const GUARD_WAIT_MS = 10;

/**
 * Removes the lock at `path` if it is still exactly `stale`, holding the takeover guard meanwhile (see the top of
 * this file). A taker that finds the guard held waits briefly and returns: the caller looks at the lock again.
 */
async function breakStaleLock(path: string, stale: LockContent, own: LockContent): Promise<void> {
  const guard = `${path}.takeover`;
  if (!(await createExclusive(guard, own))) {
    await clearDeadGuard(guard, own);
    await new Promise((resolve) => setTimeout(resolve, GUARD_WAIT_MS));
    return;
  }
  try {
    const current = await readLockOrMissing(path);
    if (current !== 'missing' && current !== undefined && sameLock(current, stale)) {
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw wrapIoError(error, 'take over stale lock', path);
      });
    }
  } finally {
    await unlink(guard).catch(() => {});
  }
}

/**
 * A guard left by a taker that died mid-takeover (rare: a kill in a few milliseconds' window) is moved aside and
 * removed if it is still the dead one's; anything else is put back. Two takers clearing the same dead guard while a
 * third creates one is the only race left, and it needs a taker to die first.
 */
async function clearDeadGuard(guard: string, own: LockContent): Promise<void> {
  const holder = await readLockOrMissing(guard);
  if (holder === 'missing' || holder === undefined || !(await holderIsDead(holder, own))) return;
  const aside = `${guard}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(guard, aside);
  } catch {
    return; // gone already: another taker cleared it
  }
  const got = await readLock(aside);
  if (!got || !sameLock(got, holder)) await link(aside, guard).catch(() => {});
  await unlink(aside).catch(() => {});
}

function lockedError(path: string, holder: LockContent | undefined, describe: (holder: string) => string): LockedError {
  const who = holder
    ? `pid ${holder.pid} on ${holder.host}${holder.since ? ` (since ${holder.since})` : ''}`
    : 'an unknown process (the lock file is unreadable; remove it only if no synclog process uses it)';
  return new LockedError(describe(who), { lockPath: path, holderPid: holder?.pid, holderHost: holder?.host });
}

/**
 * True unless the log's lock is certainly not held by a live process: no lock file, or a holder that is certainly
 * gone (holderIsDead). A lock that cannot be read counts as held (the safe answer for a reader deciding whether to
 * wait for a writer).
 */
export async function hasLiveWriter(dir: string): Promise<boolean> {
  const holder = await readLockOrMissing(join(dir, LOCK_FILE_NAME));
  if (holder === 'missing') return false;
  if (holder === undefined) return true;
  return !(await holderIsDead(holder, await ownContent()));
}

/** Takes the writer lock of the log in `dir`, or throws LockedError naming the holder. */
export function acquireLock(dir: string): Promise<LogLock> {
  return acquireFileLock(join(dir, LOCK_FILE_NAME));
}

/**
 * Takes the lock file at `path` with the same rules (exclusive create, race-safe takeover of a dead holder's lock),
 * for anything that needs one process at a time: the log's writer, a receiver's destination.
 */
export async function acquireFileLock(path: string, describe: (holder: string) => string = (who) => `log is locked by ${who}: ${path}`): Promise<LogLock> {
  const own = await ownContent();
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS_MAX; attempt++) {
    if (await createExclusive(path, own)) {
      await sweepDeadTakersTemps(path);
      return heldLock(path, own);
    }
    const found = await readLockOrMissing(path);
    // Gone between our create and our read (a holder released it, or a taker moved a stale one aside): try again.
    if (found === 'missing') continue;
    const holder = found;
    if (!holder || !(await holderIsDead(holder, own))) {
      // LOCK is created whole (createExclusive), so an unreadable one was damaged or made by something else:
      // refuse rather than guess; the message names the file to inspect.
      throw lockedError(path, holder, describe);
    }
    await breakStaleLock(path, holder, own);
  }
  throw lockedError(path, await readLock(path), describe);
}

function heldLock(path: string, own: LockContent): LogLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      const current = await readLock(path);
      if (current?.token === own.token) await unlink(path).catch(() => {});
    },
  };
}
