// Following a live log: a read-only reader in this process tails while a writer in another process appends
// (fs.watch wakes it; no busy poll); atomic groups appear whole or not at all; a failed group leaves nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, segmentFileName, type LogEntry } from '../../src/log/index.js';
import { dropTail } from '../helpers/corrupt.js';
import { buildLog, isIntact, recordFor, setWatermark } from '../helpers/log-fixture.js';
import { CRASH_CHILD } from '../../stress/log-crash.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
// @ts-expect-error: a plain ESM child script without types
import { crashPayload, crashTag } from '../fault/log-child.mjs';

interface Child {
  proc: ChildProcess;
  waitLine(pattern: RegExp): Promise<string>;
}

/** Starts the child and records every stdout line from the start, so no line is missed. */
function child(args: string[]): Child {
  const proc = spawn(process.execPath, [CRASH_CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffer = '';
  const waiters = new Set<() => void>();
  proc.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (const wake of [...waiters]) wake();
  });
  return {
    proc,
    waitLine(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = buffer.split('\n').find((l) => pattern.test(l));
          if (line === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern}: ${buffer}`));
        }, 30_000);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Collects followed entries until `until` returns true. */
async function follow(log: Log, until: (entries: LogEntry[]) => boolean, fromSeq = 0): Promise<LogEntry[]> {
  const controller = new AbortController();
  const entries: LogEntry[] = [];
  for await (const entry of log.read({ fromSeq, follow: true, signal: controller.signal })) {
    entries.push(entry);
    if (until(entries)) controller.abort();
  }
  return entries;
}

/**
 * A log with one record, a read-only reader of it, and a writer in another process that has begun an atomic group
 * of 18 records of 1 MiB (one more to come) and stalled before its last frame until told "go" or "fail".
 */
async function stalledGroup(): Promise<{ dir: string; reader: Log; writer: Child }> {
  const dir = await makeTmpDir();
  const seed = await Log.open(dir);
  await seed.append({ tag: 1, payload: new TextEncoder().encode('before') });
  await seed.close();
  const reader = await Log.open(dir, { readOnly: true });
  const writer = child(['slow-group', dir, '18', String(1024 * 1024)]);
  await writer.waitLine(/^stalled$/);
  return { dir, reader, writer };
}

describe('follow across processes', () => {
  it('tails records another process appends, in order and intact', async () => {
    const dir = await makeTmpDir();
    const seed = await Log.open(dir);
    await seed.close();
    const reader = await Log.open(dir, { readOnly: true });
    const writer = child(['append', dir, '60']);
    const entries = await follow(reader, (got) => got.length >= 60);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    for (const e of entries) {
      expect(e.tag).toBe(crashTag(e.seq));
      expect(Buffer.from(e.payload).equals(Buffer.from(crashPayload(e.seq)))).toBe(true);
    }
    await writer.waitLine(/^done /);
    await reader.close();
  });

  it('a follower ends cleanly when its signal aborts while waiting', async () => {
    const dir = await makeTmpDir();
    const log = await Log.open(dir);
    await log.append({ tag: 1, payload: new Uint8Array(3) });
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const entry of log.read({ follow: true, signal: controller.signal })) seen.push(entry.seq);
    })();
    await waitFor(() => seen.length >= 1, 'the follower to see seq 0');
    await log.append({ tag: 1, payload: new Uint8Array(3) });
    await waitFor(() => seen.length >= 2, 'the follower to see seq 1');
    controller.abort();
    await done;
    expect(seen).toEqual([0, 1]);
    await log.close();
  });

  it('an atomic group partly on disk stays invisible to a follower in another process, then appears whole', async () => {
    const { dir, reader, writer } = await stalledGroup();
    // 17 MiB of the group is written (one flush at the group-commit byte limit) but its last frame is not.
    const segment = join(dir, segmentFileName(0));
    for (let i = 0; i < 100 && (await stat(segment)).size < 16 * 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await stat(segment)).size).toBeGreaterThan(16 * 1024 * 1024);
    const partial: LogEntry[] = [];
    for await (const entry of reader.read()) partial.push(entry);
    expect(partial.map((e) => e.seq)).toEqual([0]);
    writer.proc.stdin!.write('go\n');
    const entries = await follow(reader, (got) => got.length >= 20);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(entries.slice(1, 19).every((e) => e.tag === 7 && e.payload.length === 1024 * 1024)).toBe(true);
    await writer.waitLine(/^done 20$/);
    await reader.close();
  });

  it('a failed atomic group leaves nothing, even after bytes of it reached the file', async () => {
    const { reader, writer } = await stalledGroup();
    writer.proc.stdin!.write('fail\n');
    expect(await writer.waitLine(/^done /)).toBe('done 2');
    const entries: LogEntry[] = [];
    for await (const entry of reader.read()) entries.push(entry);
    expect(entries.map((e) => new TextDecoder().decode(e.payload))).toEqual(['before', 'after']);
    await reader.close();
  });

  it('a follower crosses segment rollovers while another Log appends', async () => {
    const dir = await makeTmpDir();
    const writer = await Log.open(dir, { segmentBytesMax: 300 });
    const reader = await Log.open(dir, { readOnly: true });
    const following = follow(reader, (got) => got.length >= 120);
    for (let i = 0; i < 120; i += 4) {
      await writer.appendMany([0, 1, 2, 3].map((k) => recordFor(i + k)));
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const entries = await following;
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(entries.every((e) => isIntact(e))).toBe(true);
    expect(new Set(entries.map((e) => e.segment)).size).toBeGreaterThan(5);
    await reader.close();
    await writer.close();
  });

  it('a follower waits at a torn tail (not yet written) and goes on once a writer cuts it and appends', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 5);
    // The last commit was never published (its writer died): damage to it is a torn tail, not loss.
    await setWatermark(dir, 4);
    await dropTail(join(dir, segmentFileName(0)), 3);
    const reader = await Log.open(dir, { readOnly: true });
    const following = follow(reader, (got) => got.length >= 6);
    await new Promise((r) => setTimeout(r, 100));
    const writer = await Log.open(dir);
    expect(writer.recovery).toMatchObject({ segment: segmentFileName(0), reason: 'torn-short-payload' });
    await writer.appendMany([recordFor(4), recordFor(5)]);
    const entries = await following;
    expect(entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(entries.every((e) => isIntact(e))).toBe(true);
    await reader.close();
    await writer.close();
  });
});
