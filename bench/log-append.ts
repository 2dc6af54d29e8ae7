// Durable append throughput of the log (group commit) next to this machine's own limit, measured in the same run
// and the same directory: a plain write+fdatasync loop (one record per fsync) and a batched variant (many records
// per write+fdatasync). Every synclog figure counts only appends whose promise resolved, i.e. records that are
// durable; fsync is never weakened. Medians of `runs` runs (bench/lib/stats.ts).
// Run alone: npx tsx bench/log-append.ts [--quick] [--runs N]; the harness (bench/run.ts) calls runLogAppendBench.
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log } from '../src/log/index.js';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs } from './lib/bench-row.js';
import { megabytesPerSecond } from './lib/stats.js';
import { renderNotes, renderTable } from './lib/table.js';

interface SizeCase {
  label: string;
  recordBytes: number;
  records: number;
  /** Appends in flight at once (the group commit has this many to gather). */
  inFlight: number;
  /** Records per write+fdatasync in the machine's batched loop. */
  batchRecords: number;
  /** Records in the machine's one-record-per-fsync loop (it is slow; fewer suffice). */
  rawRecords: number;
}

function cases(quick: boolean): SizeCase[] {
  return [
    { label: '1 KiB', recordBytes: 1024, records: quick ? 20_000 : 60_000, inFlight: 256, batchRecords: 256, rawRecords: quick ? 300 : 1000 },
    { label: '64 KiB', recordBytes: 64 * 1024, records: quick ? 1_000 : 3_000, inFlight: 64, batchRecords: 64, rawRecords: quick ? 200 : 600 },
  ];
}

interface Sample {
  recordsPerSecond: number;
  megabytesPerSecond: number;
}

function sample(records: number, recordBytes: number, seconds: number): Sample {
  return { recordsPerSecond: records / seconds, megabytesPerSecond: megabytesPerSecond(records * recordBytes, seconds) };
}

/** synclog: `inFlight` concurrent appenders until `records` appends have resolved (are durable). */
async function measureLog(dir: string, c: SizeCase): Promise<Sample> {
  const log = await Log.open(dir);
  const payload = new Uint8Array(c.recordBytes).fill(0x5a);
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (issued < c.records) {
      issued++;
      await log.append({ tag: 1, payload });
    }
  };
  await Promise.all(Array.from({ length: c.inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  return sample(c.records, c.recordBytes, seconds);
}

/** The machine: write `perWrite` records in one pwrite, then fdatasync, until `records` are written. */
async function measureRaw(path: string, c: SizeCase, perWrite: number, records: number): Promise<Sample> {
  const handle = await open(path, 'w');
  const buffer = Buffer.alloc(c.recordBytes * perWrite, 0x5a);
  let position = 0;
  const started = performance.now();
  try {
    for (let done = 0; done < records; done += perWrite) {
      let written = 0;
      while (written < buffer.length) written += (await handle.write(buffer, written, buffer.length - written, position + written)).bytesWritten;
      position += buffer.length;
      await handle.datasync();
    }
  } finally {
    await handle.close();
  }
  const total = Math.ceil(records / perWrite) * perWrite;
  return sample(total, c.recordBytes, (performance.now() - started) / 1000);
}

/** Median over runs of synclog's MB/s divided by the other side's MB/s in the same run. */
function pairedRatio(own: readonly Sample[], other: readonly Sample[]): string {
  const ratios = own.map((s, i) => s.megabytesPerSecond / other[i]!.megabytesPerSecond).sort((a, b) => a - b);
  const middle = Math.floor(ratios.length / 2);
  const median = ratios.length % 2 === 1 ? ratios[middle]! : (ratios[middle - 1]! + ratios[middle]!) / 2;
  return `${median.toFixed(2)}×`;
}

/** Runs the log append benchmark; returns rows for the harness (and the standalone table). */
export async function runLogAppendBench(options: Partial<BenchModuleOptions> = {}): Promise<BenchRow[]> {
  const runs = Math.max(3, options.runs ?? 3);
  const quick = options.quick ?? false;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-log-')));
  await mkdir(workDir, { recursive: true });
  const rows: BenchRow[] = [];
  try {
    for (const c of cases(quick)) {
      const log: Sample[] = [];
      const raw: Sample[] = [];
      const batched: Sample[] = [];
      for (let run = 0; run < runs; run++) {
        const dir = join(workDir, `${c.recordBytes}-${run}`);
        await mkdir(dir, { recursive: true });
        // Alternate the order so page-cache and writeback state does not favour one side.
        const steps = [
          async () => log.push(await measureLog(join(dir, 'log'), c)),
          async () => raw.push(await measureRaw(join(dir, 'raw.bin'), c, 1, c.rawRecords)),
          async () => batched.push(await measureRaw(join(dir, 'batched.bin'), c, c.batchRecords, c.records)),
        ];
        for (const step of run % 2 === 0 ? steps : steps.reverse()) await step();
        await rm(dir, { recursive: true, force: true });
      }
      const series = (pick: (s: Sample) => number) => [
        { tool: 'synclog', samples: log.map(pick), note: `group commit, ${c.inFlight} appends in flight` },
        { tool: 'machine', samples: raw.map(pick), note: 'write + fdatasync per record' },
        { tool: 'machine-batched', samples: batched.map(pick), note: `${c.batchRecords} records per write + fdatasync` },
      ];
      rows.push({ name: `durable appends, ${c.label} records`, unit: 'records/s', higherIsBetter: true, series: series((s) => s.recordsPerSecond) });
      rows.push({
        name: `durable append throughput, ${c.label} records`,
        unit: 'MB/s',
        higherIsBetter: true,
        series: series((s) => s.megabytesPerSecond),
        note:
          `${c.records} records per synclog run, ${runs} runs, same directory as the machine loops; ` +
          `median of per-run ratios (robust to load that drifts between runs): synclog ÷ machine ${pairedRatio(log, raw)}, ` +
          `synclog ÷ machine-batched ${pairedRatio(log, batched)}`,
      });
    }
  } finally {
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const rows = await runLogAppendBench(moduleOptionsFromArgs(process.argv.slice(2), 3));
  process.stdout.write(renderTable(rows) + '\n\n' + renderNotes(rows) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
