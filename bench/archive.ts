// Archive export and import throughput next to the system tar on the same tree in the same run: `synclog export
// --all` (exportArchive) beside `tar czf`, `synclog import` of that export (importArchive, two passes + one atomic
// fsynced append) beside `tar xzf`, the plain import of tar's own archive, and archive sizes. Plus the gzip
// measurement behind the choice of node:zlib over fflate (docs/archive.md "Compression").
// MB/s are corpus content bytes (10^6) per second, medians of `runs` runs. synclog runs in-process (no CLI start-up);
// tar runs as a child process and does not fsync what it extracts (synclog's import does).
// Run alone: npx tsx bench/archive.ts [--quick] [--runs N]; the harness (bench/run.ts) calls runArchiveBench.
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync as zlibGunzip, gzipSync as zlibGzip } from 'node:zlib';
import { gunzipSync as fflateGunzip, gzipSync as fflateGzip } from 'fflate';
import { exportArchive, importArchive } from '../src/archive/index.js';
import { newVersionId, type LogRecord } from '../src/record/index.js';
import { openStore } from '../src/store/index.js';
import type { LogPath } from '../src/util/log-path.js';
import { type BenchModuleOptions, type BenchRow, moduleOptionsFromArgs } from './lib/bench-row.js';
import { ensureCorpus } from './lib/corpus.js';
import { CORPUS_SPECS } from './lib/corpus-plan.js';
import { megabytesPerSecond } from './lib/stats.js';
import { renderTable } from './lib/table.js';

const run = promisify(execFile);
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT_NAME = 'corpus';
/** Bytes of the corpus's tar fed to the in-memory gzip comparison (both libraries get the same buffer). */
const GZIP_SAMPLE_BYTES = 64 * 1024 * 1024;

async function time<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { seconds: (performance.now() - started) / 1000, value };
}

/** Every path below `dir`, parents before children, in name order. */
async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const full = join(dir, name);
    out.push(relative(base, full));
    if ((await lstat(full)).isDirectory()) out.push(...(await walk(full, base)));
  }
  return out;
}

/** Loads the tree into a fresh log through the store API (setup, not measured). Returns content bytes. */
async function buildLog(tree: string, logDir: string): Promise<number> {
  const store = await openStore(logDir);
  let bytes = 0;
  try {
    const batch: LogRecord[] = [];
    for (const rel of await walk(tree)) {
      const full = join(tree, rel);
      const info = await lstat(full);
      const now = Date.now();
      const path = rel.split(sep).join('/') as LogPath;
      const base = { kind: 'version', versionId: newVersionId(now), time: now, root: ROOT_NAME, path, event: 'created', mtimeMs: info.mtimeMs, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid } as const;
      if (info.isDirectory()) batch.push({ ...base, type: 'dir', size: 0 });
      else if (info.isSymbolicLink()) batch.push({ ...base, type: 'symlink', size: info.size, target: await readlink(full) });
      else if (info.isFile()) {
        const content = await store.ingestFile(full);
        bytes += content.size;
        batch.push({ ...base, type: 'file', size: content.size, contentId: content.contentId, chunks: content.chunks });
      }
      if (batch.length >= 1000) await store.appendRecords(batch.splice(0));
    }
    await store.appendRecords(batch);
  } finally {
    await store.close();
  }
  return bytes;
}

interface ArchiveSamples {
  exportMbps: number[];
  tarCzfMbps: number[];
  importMbps: number[];
  tarXzfMbps: number[];
  plainImportMbps: number[];
  exportMb: number[];
  tarMb: number[];
}

async function measureOnce(tree: string, logDir: string, dir: string, contentBytes: number, s: ArchiveSamples): Promise<void> {
  const source = await openStore(logDir, { readOnly: true });
  const exportFile = join(dir, 'synclog.tar.gz');
  try {
    const exported = await time(() => exportArchive(source, { kind: 'all' }, exportFile));
    s.exportMbps.push(megabytesPerSecond(contentBytes, exported.seconds));
    s.exportMb.push(exported.value.archiveBytes / 1e6);
  } finally {
    await source.close();
  }
  const tarFile = join(dir, 'tar.tar.gz');
  const czf = await time(() => run('tar', ['czf', tarFile, '-C', tree, '.']));
  s.tarCzfMbps.push(megabytesPerSecond(contentBytes, czf.seconds));
  s.tarMb.push((await stat(tarFile)).size / 1e6);

  const target = await openStore(join(dir, 'imported'));
  try {
    const imported = await time(() => importArchive(target, exportFile));
    s.importMbps.push(megabytesPerSecond(contentBytes, imported.seconds));
  } finally {
    await target.close();
  }
  const plainTarget = await openStore(join(dir, 'plain'));
  try {
    const plain = await time(() => importArchive(plainTarget, tarFile, { root: ROOT_NAME }));
    s.plainImportMbps.push(megabytesPerSecond(contentBytes, plain.seconds));
  } finally {
    await plainTarget.close();
  }
  const out = join(dir, 'extracted');
  await mkdir(out);
  const xzf = await time(() => run('tar', ['xzf', tarFile, '-C', out]));
  s.tarXzfMbps.push(megabytesPerSecond(contentBytes, xzf.seconds));
}

/** gzip level 6 compress and decompress of the same buffer with node:zlib and fflate (sync APIs, one thread each). */
function measureGzip(sample: Buffer, runs: number): BenchRow[] {
  const series = { zlibGzip: [] as number[], fflateGzip: [] as number[], zlibGunzip: [] as number[], fflateGunzip: [] as number[] };
  const mb = (seconds: number) => megabytesPerSecond(sample.length, seconds);
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    const packed = zlibGzip(sample, { level: 6 });
    series.zlibGzip.push(mb((performance.now() - t) / 1000));
    t = performance.now();
    fflateGzip(sample, { level: 6 });
    series.fflateGzip.push(mb((performance.now() - t) / 1000));
    t = performance.now();
    zlibGunzip(packed);
    series.zlibGunzip.push(mb((performance.now() - t) / 1000));
    t = performance.now();
    fflateGunzip(packed);
    series.fflateGunzip.push(mb((performance.now() - t) / 1000));
  }
  const note = `${(sample.length / 1e6).toFixed(0)} MB of the corpus's tar in memory, level 6`;
  return [
    { name: 'gzip compress (library choice)', unit: 'MB/s', higherIsBetter: true, note, series: [{ tool: 'node:zlib (used)', samples: series.zlibGzip }, { tool: 'fflate', samples: series.fflateGzip }] },
    { name: 'gzip decompress (library choice)', unit: 'MB/s', higherIsBetter: true, note, series: [{ tool: 'node:zlib (used)', samples: series.zlibGunzip }, { tool: 'fflate', samples: series.fflateGunzip }] },
  ];
}

/** Runs the archive benchmark; returns rows for the harness (and the standalone table). */
export async function runArchiveBench(options: Partial<BenchModuleOptions> = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const runs = Math.max(1, options.runs ?? 3);
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'synclog-bench-archive-')));
  const spec = quick ? CORPUS_SPECS.quick : CORPUS_SPECS.full;
  try {
    const corpus = await ensureCorpus(spec, join(repoRoot, 'bench', '.cache'));
    const logDir = join(workDir, 'log');
    const contentBytes = await buildLog(corpus.root, logDir);
    const s: ArchiveSamples = { exportMbps: [], tarCzfMbps: [], importMbps: [], tarXzfMbps: [], plainImportMbps: [], exportMb: [], tarMb: [] };
    for (let i = 0; i < runs; i++) {
      const dir = join(workDir, `run-${i}`);
      await mkdir(dir, { recursive: true });
      await measureOnce(corpus.root, logDir, dir, contentBytes, s);
      await rm(dir, { recursive: true, force: true });
    }
    const tree = `corpus ${spec.name}: ${corpus.fileCount} files, ${(contentBytes / 1e6).toFixed(0)} MB`;
    const rows: BenchRow[] = [
      { name: `archive export, ${tree}`, unit: 'MB/s', higherIsBetter: true, series: [{ tool: 'synclog', samples: s.exportMbps, note: 'exportArchive --all, gzip level 6' }, { tool: 'tar czf', samples: s.tarCzfMbps }] },
      { name: `archive import, ${tree}`, unit: 'MB/s', higherIsBetter: true, series: [{ tool: 'synclog', samples: s.importMbps, note: 'importArchive of the export: 2 passes, hashes checked, one fsynced atomic append' }, { tool: 'tar xzf', samples: s.tarXzfMbps, note: 'extract, no fsync' }] },
      { name: `plain tarball import, ${tree}`, unit: 'MB/s', higherIsBetter: true, series: [{ tool: 'synclog', samples: s.plainImportMbps, note: "importArchive of tar czf's archive: chunk, hash, compress, dedup" }, { tool: 'tar xzf', samples: s.tarXzfMbps }] },
      { name: `archive size, ${tree}`, unit: 'MB', higherIsBetter: false, series: [{ tool: 'synclog', samples: s.exportMb, note: 'manifest included' }, { tool: 'tar czf', samples: s.tarMb }] },
    ];
    const tarBytes = await readFile(join(workDir, 'gzip-sample.tar')).catch(async () => {
      await run('tar', ['cf', join(workDir, 'gzip-sample.tar'), '-C', corpus.root, '.']);
      return readFile(join(workDir, 'gzip-sample.tar'));
    });
    rows.push(...measureGzip(tarBytes.subarray(0, GZIP_SAMPLE_BYTES), Math.max(3, runs)));
    return rows;
  } finally {
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows = await runArchiveBench(moduleOptionsFromArgs(process.argv.slice(2), 3));
  process.stdout.write(renderTable(rows) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
