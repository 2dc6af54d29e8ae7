// Store ingest throughput (chunk → hash → compress → append) with 1 worker and with all workers, next to this
// machine's raw read speed of the same files in the same run, for compressible text and incompressible random data;
// plus the dedup index's memory per chunk. Every synclog figure ends when ingestFile resolved, i.e. when its chunk
// records were appended (group-committed) to a real log. Page cache is warm for both sides (the file was just read
// or written), and the table says so.
// Run alone: npx tsx bench/store-ingest.ts [--quick] [--runs N]; the harness (bench/run.ts) calls runStoreIngestBench.
import { createCipheriv } from 'node:crypto';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChunkIndex, hashContent, openStore } from '../src/store/index.js';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs } from './lib/bench-row.js';
import { megabytesPerSecond } from './lib/stats.js';
import { renderTable } from './lib/table.js';

const MIB = 1024 * 1024;
const VOCABULARY = 'store chunk log segment version record the a of to and file path index watcher receiver archive'.split(' ');

/** Incompressible bytes: an AES-256-CTR keystream from a fixed key (fast and deterministic). */
function randomBlock(bytes: number, counter: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(counter, 12);
  return createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), iv).update(Buffer.alloc(bytes));
}

/** Compressible text from a small vocabulary (deflate level 1 gets it to ~30%), deterministic. */
function textBlock(bytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = seed | 1;
  let at = 0;
  while (at < bytes) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    at += out.write(`${VOCABULARY[(x >>> 0) % VOCABULARY.length]}${(x & 15) === 0 ? '\n' : ' '}`, at);
  }
  return out;
}

async function writeData(path: string, bytes: number, kind: 'text' | 'random'): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let i = 0; i * 4 * MIB < bytes; i++) await handle.write(kind === 'text' ? textBlock(4 * MIB, i + 1) : randomBlock(4 * MIB, i));
  } finally {
    await handle.close();
  }
}

/** The machine: sequential 1 MiB reads of the whole file (what ingest has to do at least). */
async function measureRead(path: string): Promise<number> {
  const handle = await open(path, 'r');
  const buffer = Buffer.alloc(MIB);
  let total = 0;
  const started = performance.now();
  try {
    for (let n = 1; n > 0; total += n) n = (await handle.read(buffer, 0, MIB, null)).bytesRead;
  } finally {
    await handle.close();
  }
  return megabytesPerSecond(total, (performance.now() - started) / 1000);
}

interface IngestSample {
  /** Wall-clock throughput. */
  megabytesPerSecond: number;
  /** Throughput per CPU-second of the whole process (all threads): robust on a loaded machine. */
  megabytesPerCpuSecond: number;
}

async function measureIngest(path: string, bytes: number, logDir: string, workers: number): Promise<IngestSample> {
  const store = await openStore(logDir, { workers });
  try {
    // Start the workers before the clock: a user's watcher pays that once per process, not per file.
    await store.ingestStream((async function* () { yield randomBlock(2 * MIB, 999_999); })());
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const content = await store.ingestFile(path);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    if (content.size !== bytes) throw new Error(`ingested ${content.size} of ${bytes} bytes`);
    return { megabytesPerSecond: megabytesPerSecond(bytes, seconds), megabytesPerCpuSecond: megabytesPerSecond(bytes, (cpu.user + cpu.system) / 1e6) };
  } finally {
    await store.close();
  }
}

/** Bytes of index memory per chunk at `count` chunks (typed arrays only; the JS objects around them are constant). */
function indexBytesPerChunk(count: number): number {
  const index = new ChunkIndex();
  const seed = new Uint8Array(8);
  const view = new DataView(seed.buffer);
  for (let i = 0; i < count; i++) {
    view.setUint32(0, i, true);
    index.add(hashContent(seed), { segment: '00000000000000000000.seg', offset: i, size: 65536 });
  }
  return index.memoryBytes / index.count;
}

export async function runStoreIngestBench(options: Partial<BenchModuleOptions> = {}): Promise<BenchRow[]> {
  const runs = Math.max(1, options.runs ?? 3);
  const quick = options.quick ?? false;
  const bytes = (quick ? 64 : 256) * MIB;
  const allWorkers = Math.max(1, availableParallelism());
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-store-')));
  await mkdir(workDir, { recursive: true });
  const rows: BenchRow[] = [];
  try {
    for (const kind of ['text', 'random'] as const) {
      const file = join(workDir, `${kind}.bin`);
      await writeData(file, bytes, kind);
      const one: IngestSample[] = [];
      const all: IngestSample[] = [];
      const read: number[] = [];
      for (let run = 0; run < runs; run++) {
        const steps = [
          async () => read.push(await measureRead(file)),
          async () => one.push(await measureIngest(file, bytes, join(workDir, `log-${kind}-1-${run}`), 1)),
          async () => all.push(await measureIngest(file, bytes, join(workDir, `log-${kind}-n-${run}`), allWorkers)),
        ];
        for (const step of run % 2 === 0 ? steps : steps.reverse()) await step();
        await rm(join(workDir, `log-${kind}-1-${run}`), { recursive: true, force: true });
        await rm(join(workDir, `log-${kind}-n-${run}`), { recursive: true, force: true });
      }
      rows.push({
        name: `store ingest (chunk+hash+compress+append), ${kind} ${bytes / MIB} MiB`,
        unit: 'MB/s',
        higherIsBetter: true,
        series: [
          { tool: 'synclog', samples: all.map((s) => s.megabytesPerSecond), note: `${allWorkers} workers` },
          { tool: 'synclog-1-worker', samples: one.map((s) => s.megabytesPerSecond), note: '1 worker' },
          { tool: 'machine', samples: read, note: 'sequential 1 MiB reads of the same file' },
        ],
        note: `one ${kind} file, warm page cache for both sides, ${runs} runs, load average ${loadavg()[0]!.toFixed(1)} at the end`,
      });
      rows.push({
        name: `store ingest CPU cost, ${kind} ${bytes / MIB} MiB`,
        unit: 'MB/CPU-s',
        higherIsBetter: true,
        series: [
          { tool: 'synclog', samples: all.map((s) => s.megabytesPerCpuSecond), note: `${allWorkers} workers, all threads` },
          { tool: 'synclog-1-worker', samples: one.map((s) => s.megabytesPerCpuSecond), note: '1 worker, all threads' },
        ],
        note: 'bytes ingested per CPU-second of the whole process: what throughput one free core would give',
      });
      await rm(file, { force: true });
    }
    const chunks = quick ? 200_000 : 1_000_000;
    rows.push({
      name: `dedup index memory at ${chunks.toLocaleString('en')} chunks`,
      unit: 'bytes/chunk',
      higherIsBetter: false,
      series: [{ tool: 'synclog', samples: [indexBytesPerChunk(chunks)], note: 'full 32-byte ids, budget 64' }],
    });
  } finally {
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const rows = await runStoreIngestBench(moduleOptionsFromArgs(process.argv.slice(2), 3));
  process.stdout.write(renderTable(rows) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
