// Crash harness for the log (also run by tests/fault/log-crash.test.ts with a small count).
// Fault model: the writer process is SIGKILLed at a random moment (mid-append, mid-fsync, mid-rollover, mid-atomic
// group, even mid-recovery), repeatedly, in the same directory. With `powerLoss`, every other kill is also a power
// cut (LevelDB's fault_injection_test): every writer, the child and this process's own reopen, runs on the
// fault-injecting file system (tests/fault/fault-fs.mjs), which journals what each fdatasync and directory fsync made
// durable; after the kill `cutPower` cuts every file back to its synced length (keeping a random part of the unsynced
// tail, sometimes as zeros, sometimes followed by zeros), gives the durable watermark its synced bytes back or not, and
// removes every name no directory fsync covered (a new segment whose directory entry was never synced). So a writer
// that skipped an fdatasync loses acknowledged records here. What must survive: every record the child reported
// durable is present and intact after reopen; nothing appears that was never written (every payload is derived from
// its seq); atomic groups are whole or absent; the log reopens and appending continues; verifyLog stays sound.
// Run alone: npx tsx stress/log-crash.ts [cycles] [segmentBytesMax]   (needs `npm run build`: the child runs dist/)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log, REAL_LOG_FILE_SYSTEM, verifyLog, type LogFileSystem } from '../src/log/index.js';
import { createFaultFileSystem, cutPower } from '../tests/fault/fault-fs.mjs';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CRASH_CHILD = join(REPO_ROOT, 'tests', 'fault', 'log-child.mjs');

export interface CrashRunOptions {
  /** A fresh directory the run owns: the log is `dir/log`, the fault journal `dir/sync-journal.jsonl`. */
  dir: string;
  cycles: number;
  segmentBytesMax?: number;
  /** Kill this long after the child is ready: uniform in [0, killDelayMsMax]; a few kills land before ready. */
  killDelayMsMax?: number;
  /** Run verifyLog every this many cycles (and after the last). */
  verifyEvery?: number;
  /** Also simulate losing unsynced data on every other kill (see the fault model above). */
  powerLoss?: boolean;
  /** The child's writer never fdatasyncs a segment: a broken writer the power cuts must catch (harness self-test). */
  writerSkipsDatasync?: boolean;
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
  /** What the power cuts took: unsynced bytes dropped, files removed (directory entry never synced). */
  powerCuts: { count: number; bytesDropped: number; filesRemoved: number };
}

interface ChildRun {
  startSeq: number | undefined;
  ackedTo: number;
}

interface ChildSetup {
  logDir: string;
  journalPath: string;
  killDelayMsMax: number;
  segmentBytesMax: number | undefined;
  skipDatasync: boolean;
}

function runChildUntilKilled(setup: ChildSetup, cycle: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const { logDir, journalPath, killDelayMsMax, segmentBytesMax } = setup;
    const args = [CRASH_CHILD, 'append-loop', logDir, String(segmentBytesMax ?? 0), journalPath, ...(setup.skipDatasync ? ['no-datasync'] : [])];
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
        const [word, a, b] = line.split(' ');
        if (word === 'ready') {
          run.startSeq = Number(a);
          setTimeout(kill, Math.random() * killDelayMsMax);
        } else if (word === 'D') {
          if (Number(a) !== run.ackedTo + 1 && run.ackedTo >= 0) reject(new Error(`acks out of order: ${line} after ${run.ackedTo}`));
          run.ackedTo = Math.max(run.ackedTo, Number(b));
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

/** Reopens after a kill and checks every acknowledged record; returns the summary of this cycle. */
async function checkAfterKill(dir: string, fileSystem: LogFileSystem, run: ChildRun, checkedFrom: number): Promise<CycleSummary> {
  const { crashPayload, crashTag } = (await import(CRASH_CHILD)) as {
    crashPayload(seq: number): Uint8Array;
    crashTag(seq: number): number;
  };
  // Through the journalling file system too: what this reopen syncs (a torn tail cut, the watermark) is durable.
  const log = await Log.open(dir, { fileSystem });
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

export async function runCrashCycles(options: CrashRunOptions): Promise<CrashRunResult> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'log', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const setup: ChildSetup = {
    logDir: join(options.dir, 'log'),
    journalPath: join(options.dir, 'sync-journal.jsonl'),
    killDelayMsMax: options.killDelayMsMax ?? 120,
    segmentBytesMax: options.segmentBytesMax,
    skipDatasync: options.writerSkipsDatasync === true,
  };
  const fileSystem = createFaultFileSystem(REAL_LOG_FILE_SYSTEM, setup.journalPath);
  let recoveries = 0;
  let checkedFrom = 0;
  let summary: CycleSummary = { ackedTo: -1, nextSeq: 0, recovered: false };
  let ackedMax = -1;
  const powerCuts = { count: 0, bytesDropped: 0, filesRemoved: 0 };
  try {
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const run = await runChildUntilKilled(setup, cycle);
      // Records acknowledged in earlier cycles must survive this one too.
      ackedMax = Math.max(ackedMax, run.ackedTo);
      run.ackedTo = ackedMax;
      if (options.powerLoss && cycle % 2 === 1) {
        const cut = cutPower(setup.journalPath, setup.logDir);
        powerCuts.count++;
        powerCuts.bytesDropped += cut.bytesDropped;
        powerCuts.filesRemoved += cut.removed.length;
      }
      summary = await checkAfterKill(setup.logDir, fileSystem, run, checkedFrom);
      if (summary.recovered) recoveries++;
      checkedFrom = Math.max(0, Math.min(run.startSeq ?? checkedFrom, summary.nextSeq));
      options.onCycle?.(cycle, summary);
      const verifyEvery = options.verifyEvery ?? 10;
      if ((cycle + 1) % verifyEvery === 0 || cycle === options.cycles - 1) {
        const report = await verifyLog(setup.logDir);
        if (!report.ok || report.tornTail) throw new Error(`verify after cycle ${cycle}: ${JSON.stringify(report)}`);
      }
    }
  } finally {
    fileSystem.close();
  }
  return { cycles: options.cycles, records: summary.nextSeq, recoveries, acked: summary.ackedTo + 1, powerCuts };
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
    const cuts = result.powerCuts;
    process.stdout.write(
      `log-crash: ${result.cycles} kills (${cuts.count} power cuts: ${cuts.bytesDropped} unsynced bytes dropped, ${cuts.filesRemoved} unsynced names removed), ` +
        `${result.records} records, ${result.recoveries} torn tails cut, ${((Date.now() - started) / 1000).toFixed(1)} s: OK\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
