// Fault model: other processes on the same log directory. A second writer process, a writer killed while holding
// the lock (stale lock), two processes taking over one stale lock at once, a writer hitting the file size limit
// (RLIMIT_FSIZE → EFBIG, as a full disk would fail a write). What must hold: exactly one writer at a time, refusals
// name the holder, stale locks are taken over, an I/O failure rejects appends with a typed IoError and leaves a log
// that reopens sound with every acknowledged record.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../src/errors.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Log, verifyLog } from '../../src/log/index.js';
import { WATERMARK_FILE_NAME } from '../../src/log/format.js';
import { encodeWatermark } from '../../src/log/watermark.js';
import { CRASH_CHILD } from '../../stress/log-crash.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
// @ts-expect-error: a plain ESM child script without types
import { crashPayload, crashTag } from './log-child.mjs';

function startChild(args: string[], shell?: string): ChildProcess {
  if (shell) return spawn('bash', ['-c', `${shell}; exec "${process.execPath}" "${CRASH_CHILD}" ${args.map((a) => `"${a}"`).join(' ')}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  return spawn(process.execPath, [CRASH_CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

function nextLine(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${buffer}`)), timeoutMs);
    const onData = (data: Buffer) => {
      buffer += data.toString();
      const line = buffer.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = once(child, 'close');
  child.kill('SIGKILL');
  await closed;
}

describe('log lock across processes', () => {
  it('a follower held at the watermark by a live writer reads on once that writer is killed, with no change to wake it', async () => {
    const dir = await makeTmpDir();
    const seed = await Log.open(dir);
    for (let seq = 0; seq < 10; seq++) await seed.append({ tag: 1, payload: Uint8Array.of(seq) });
    await seed.close();
    const holder = startChild(['hold', dir]);
    const reader = await Log.open(dir, { readOnly: true });
    const controller = new AbortController();
    try {
      await nextLine(holder, /^locked /);
      // As if seqs 4..9 were written but not yet fdatasynced by the live holder.
      await writeFile(join(dir, WATERMARK_FILE_NAME), encodeWatermark(4));
      const seen: number[] = [];
      const following = (async () => {
        for await (const entry of reader.read({ follow: true, signal: controller.signal })) {
          seen.push(entry.seq);
          if (entry.seq === 9) return;
        }
      })();
      const deadline = Date.now() + 20_000;
      while (seen.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual([0, 1, 2, 3]); // held while the writer lives
      await killAndWait(holder); // nothing in the directory changes: only the follower's fallback poll can notice
      const timer = setTimeout(() => controller.abort(), 20_000);
      await following;
      clearTimeout(timer);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      controller.abort();
      await killAndWait(holder);
      await reader.close();
    }
  });
  it('refuses a second writer naming the holder, and takes over after the holder is killed', async () => {
    const dir = await makeTmpDir();
    const holder = startChild(['hold', dir]);
    const line = await nextLine(holder, /^locked /);
    const error = await Log.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).details).toMatchObject({ holderPid: holder.pid });
    expect((error as LockedError).message).toContain(`pid ${holder.pid}`);
    expect(line).toBe(`locked ${holder.pid}`);
    const second = startChild(['hold', dir]);
    expect(await nextLine(second, /^refused /)).toBe(`refused ${holder.pid} SYNCLOG_LOCKED`);
    await killAndWait(holder);
    const log = await Log.open(dir);
    await log.append({ tag: 1, payload: new Uint8Array([1]) });
    await log.close();
  });

  it('of two processes taking over one stale lock, exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = await makeTmpDir();
      const dead = startChild(['hold', dir]);
      await nextLine(dead, /^locked /);
      await killAndWait(dead);
      const takers = [startChild(['hold', dir]), startChild(['hold', dir])];
      const outcomes = await Promise.all(takers.map((t) => nextLine(t, /^(locked|refused) /)));
      expect(outcomes.filter((o) => o.startsWith('locked')).length).toBe(1);
      const winner = takers[outcomes.findIndex((o) => o.startsWith('locked'))]!;
      expect(outcomes.find((o) => o.startsWith('refused'))).toBe(`refused ${winner.pid} SYNCLOG_LOCKED`);
      await Promise.all(takers.map(killAndWait));
    }
  });
});

describe('log I/O failure', () => {
  it('a write failing with EFBIG (ulimit -f) rejects with IoError; the log reopens with every acknowledged record', async () => {
    const dir = await makeTmpDir();
    const child = startChild(['efbig', dir], 'ulimit -f 256');
    let acked = -1;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      for (const m of output.matchAll(/^D \d+ (\d+)$/gm)) acked = Math.max(acked, Number(m[1]));
    });
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(0);
    expect(output).toMatch(/^error SYNCLOG_IO EFBIG$/m);
    // The writer is unusable after the failure: a later append rejects too.
    expect(output).toMatch(/^after SYNCLOG_IO$/m);
    expect(acked).toBeGreaterThan(10);
    const log = await Log.open(dir);
    expect(log.nextSeq).toBeGreaterThan(acked);
    let seq = 0;
    for await (const entry of log.read()) {
      expect(entry.seq).toBe(seq);
      expect(entry.tag).toBe(crashTag(seq));
      expect(Buffer.from(entry.payload).equals(Buffer.from(crashPayload(seq)))).toBe(true);
      seq++;
    }
    expect(seq).toBe(log.nextSeq);
    await log.append({ tag: 1, payload: new Uint8Array(10) });
    await log.close();
    expect((await verifyLog(dir)).ok).toBe(true);
  });
});
