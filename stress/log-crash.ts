// Crash harness for the log (also run by tests/fault/log-crash.test.ts with a small count).
// Fault model: the writer process is SIGKILLed at a random moment (mid-append, mid-fsync, mid-rollover, mid-atomic
// group, even mid-recovery), repeatedly, in the same directory. With `powerLoss`, every other kill also loses what
// a power cut may lose (LevelDB's fault_injection_test): the newest segment is cut at a random point after the last
// acknowledged record and may end in zeros (extended but never written); sealed segments and everything acknowledged
// were fsynced and stay. What must survive: every record the child reported durable is present and intact after reopen;
// nothing appears that was never written (every payload is derived from its seq); atomic groups are whole or
// absent; the log reopens and appending continues; verifyLog stays sound.
// Run alone: npx tsx stress/log-crash.ts [cycles] [segmentBytesMax]   (needs `npm run build`: the child runs dist/)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log, verifyLog } from '../src/log/index.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CRASH_CHILD = join(REPO_ROOT, 'tests', 'fault', 'log-child.mjs');

export interface CrashRunOptions {
  dir: string;
  cycles: number;
  segmentBytesMax?: number;
  /** Kill this long after the child is ready: uniform in [0, killDelayMsMax]; a few kills land before ready. */
  killDelayMsMax?: number;
  /** Run verifyLog every this many cycles (and after the last). */
  verifyEvery?: number;
  /** Also simulate losing unsynced data on every other kill (see the fault model above). */
  powerLoss?: boolean;
  onCycle?: (cycle: number, summary: CycleSummary) => void;
}

export interface CycleSummary {
  ackedTo: number;
  nextSeq: number;
  recovered: boolean;
}

export interface CrashRunResult {
  cycles: number;
  records: number;
  recoveries: number;
  acked: number;
}

interface ChildRun {
  startSeq: number | undefined;
  ackedTo: number;
  /** Segment and frame offset of the last acknowledged record. */
  ackedAt?: { segment: string; offset: number };
}

function runChildUntilKilled(dir: string, killDelayMsMax: number, segmentBytesMax: number | undefined, cycle: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const args = [CRASH_CHILD, 'append-loop', dir, ...(segmentBytesMax ? [String(segmentBytesMax)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { startSeq: undefined, ackedTo: -1 };
    let pending = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    // One kill in eight lands early, while the child may still be opening (recovering) the log.
    if (cycle % 8 === 5) setTimeout(kill, Math.random() * 150);
    child.stdout.on('data', (data: Buffer) => {
      pending += data.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [word, a, b, segment, offset] = line.split(' ');
        if (word === 'ready') {
          run.startSeq = Number(a);
          setTimeout(kill, Math.random() * killDelayMsMax);
        } else if (word === 'D') {
          if (Number(a) !== run.ackedTo + 1 && run.ackedTo >= 0) reject(new Error(`acks out of order: ${line} after ${run.ackedTo}`));
          run.ackedTo = Math.max(run.ackedTo, Number(b));
          run.ackedAt = { segment: segment!, offset: Number(offset) };
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended on its own (code ${code}): ${stderr}`));
      else resolve(run);
    });
  });
}

/** Where the last acknowledged record ends: everything before it in that segment was fdatasynced. */
interface DurablePoint {
  segment: string;
  end: number;
}

/**
 * Simulates a power cut after the kill: the newest segment keeps a random prefix of what follows the last
 * acknowledged record (all of it may go when that record is in an earlier, sealed segment), sometimes followed by
 * zeros (extended but never written). Sealed segments were fsynced before their successor was created.
 */
async function losePowerTail(dir: string, durable: DurablePoint | undefined): Promise<void> {
  const names = (await readdir(dir)).filter((n) => /^\d{20}\.seg$/.test(n)).sort();
  const newest = names[names.length - 1];
  if (!newest) return;
  const path = join(dir, newest);
  const { size } = await stat(path);
  // What the child published in durable.seq was fdatasynced too (its ack line may have been cut off by the kill):
  // a power cut cannot take that back either.
  const published = await publishedEnd(dir);
  const acked = durable && durable.segment === newest ? durable.end : 40;
  const floor = Math.max(acked, published && published.segment === newest ? published.end : 40);
  if (floor > size) throw new Error(`acknowledged data ends at ${floor}, past the end of ${newest} (${size})`);
  await truncate(path, floor + Math.floor(Math.random() * (size - floor + 1)));
  if (Math.random() < 0.5) await appendFile(path, new Uint8Array(Math.floor(Math.random() * 8192)));
}

/** Where the last record below the published durable watermark ends, if there is one. */
async function publishedEnd(dir: string): Promise<DurablePoint | undefined> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(join(dir, 'durable.seq')).catch(() => undefined);
  if (!bytes || bytes.length !== 16) return undefined;
  const next = Number(bytes.readBigUInt64LE(0));
  if (next === 0) return undefined;
  const log = await Log.open(dir, { readOnly: true });
  try {
    for await (const entry of log.read({ fromSeq: next - 1 })) return { segment: entry.segment, end: entry.offset + 14 + entry.payload.length };
  } finally {
    await log.close();
  }
  return undefined;
}

/** Reopens after a kill and checks every acknowledged record; returns the summary of this cycle. */
async function checkAfterKill(dir: string, run: ChildRun, checkedFrom: number): Promise<CycleSummary> {
  const { crashPayload, crashTag } = (await import(CRASH_CHILD)) as {
    crashPayload(seq: number): Uint8Array;
    crashTag(seq: number): number;
  };
  const log = await Log.open(dir);
  // A power cut may take back records seen after an earlier kill that were never acknowledged.
  checkedFrom = Math.min(checkedFrom, log.nextSeq);
  try {
    if (log.nextSeq <= run.ackedTo) throw new Error(`lost acknowledged records: nextSeq ${log.nextSeq}, acked to ${run.ackedTo}`);
    let expected = checkedFrom;
    for await (const entry of log.read({ fromSeq: checkedFrom })) {
      if (entry.seq !== expected) throw new Error(`seq ${entry.seq} where ${expected} was expected`);
      if (entry.tag !== crashTag(entry.seq) || !Buffer.from(entry.payload).equals(Buffer.from(crashPayload(entry.seq)))) {
        throw new Error(`record ${entry.seq} is not what was written (${entry.segment}:${entry.offset})`);
      }
      expected++;
    }
    if (expected !== log.nextSeq) throw new Error(`read ended at ${expected}, nextSeq is ${log.nextSeq}`);
    return { ackedTo: run.ackedTo, nextSeq: log.nextSeq, recovered: log.recovery !== undefined };
  } finally {
    await log.close();
  }
}

async function payloadSizer(): Promise<(seq: number) => number> {
  const { crashPayload } = (await import(CRASH_CHILD)) as { crashPayload(seq: number): Uint8Array };
  return (seq) => crashPayload(seq).length;
}

export async function runCrashCycles(options: CrashRunOptions): Promise<CrashRunResult> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'log', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  let recoveries = 0;
  let checkedFrom = 0;
  let summary: CycleSummary = { ackedTo: -1, nextSeq: 0, recovered: false };
  let durable: DurablePoint | undefined;
  let ackedMax = -1;
  const payloadBytes = await payloadSizer();
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const run = await runChildUntilKilled(options.dir, options.killDelayMsMax ?? 120, options.segmentBytesMax, cycle);
    if (run.ackedAt) durable = { segment: run.ackedAt.segment, end: run.ackedAt.offset + 14 + payloadBytes(run.ackedTo) };
    // Records acknowledged in earlier cycles must survive this one too.
    ackedMax = Math.max(ackedMax, run.ackedTo);
    run.ackedTo = ackedMax;
    if (options.powerLoss && cycle % 2 === 1) await losePowerTail(options.dir, durable);
    summary = await checkAfterKill(options.dir, run, checkedFrom);
    if (summary.recovered) recoveries++;
    checkedFrom = Math.max(0, Math.min(run.startSeq ?? checkedFrom, summary.nextSeq));
    options.onCycle?.(cycle, summary);
    const verifyEvery = options.verifyEvery ?? 10;
    if ((cycle + 1) % verifyEvery === 0 || cycle === options.cycles - 1) {
      const report = await verifyLog(options.dir);
      if (!report.ok || report.tornTail) throw new Error(`verify after cycle ${cycle}: ${JSON.stringify(report)}`);
    }
  }
  return { cycles: options.cycles, records: summary.nextSeq, recoveries, acked: summary.ackedTo + 1 };
}

async function main(): Promise<void> {
  const cycles = Number(process.argv[2] ?? 1000);
  const segmentBytesMax = Number(process.argv[3] ?? 1024 * 1024);
  const dir = await mkdtemp(join(tmpdir(), 'synclog-stress-crash-'));
  const started = Date.now();
  try {
    const result = await runCrashCycles({
      dir,
      cycles,
      segmentBytesMax,
      verifyEvery: 25,
      powerLoss: true,
      onCycle: (cycle, s) => {
        if ((cycle + 1) % 50 === 0) process.stdout.write(`cycle ${cycle + 1}/${cycles}: ${s.nextSeq} records\n`);
      },
    });
    process.stdout.write(`log-crash: ${result.cycles} kills, ${result.records} records, ${result.recoveries} torn tails cut, ${((Date.now() - started) / 1000).toFixed(1)} s: OK\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
