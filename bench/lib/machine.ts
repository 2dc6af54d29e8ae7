// What machine a benchmark ran on, whether its page cache can be dropped, and the machine's own limits measured in
// the same run (sequential read of the corpus, sequential write + fdatasync). Reads /proc and runs `df`, `git`.
// Invariant: a result never claims a cold cache unless dropping the cache actually succeeded before each run.
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runProgram, syncDisks } from './child-process.js';
import { megabytesPerSecond } from './stats.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** File system type and device of the benchmark's work directory (e.g. "ext4 on /dev/vda"). */
  diskFs: string;
  kernel: string;
  node: string;
  commit: string;
  /** True when the work tree had uncommitted changes to tracked files. */
  dirty: boolean;
  loadAverage: number[];
}

export async function describeMachine(workDir: string, repoRoot: string): Promise<MachineInfo> {
  const df = await runProgram('df', ['--output=fstype,source', workDir]);
  const fsLine = df.stdout.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
  const commit = await runProgram('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot });
  const status = await runProgram('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot });
  const kernel = (await readFile('/proc/sys/kernel/osrelease', 'utf8').catch(() => 'unknown')).trim();
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    diskFs: fsLine.length >= 2 ? `${fsLine[0]} on ${fsLine[1]}` : 'unknown',
    kernel,
    node: process.version,
    commit: commit.stdout.trim() || 'unknown',
    dirty: status.stdout.trim().length > 0,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** The page cache, dropped before each timed run when the OS lets us (root on Linux). */
export class PageCache {
  private constructor(readonly cold: boolean) {}

  /** Tries a drop once: cold if it works, warm (and said so) otherwise. */
  static async detect(): Promise<PageCache> {
    try {
      await syncDisks();
      await writeFile('/proc/sys/vm/drop_caches', '3\n');
      return new PageCache(true);
    } catch {
      return new PageCache(false);
    }
  }

  /** Flushes dirty pages and, when cold, drops the page cache, dentries and inodes. */
  async prepare(): Promise<void> {
    await syncDisks();
    if (this.cold) await writeFile('/proc/sys/vm/drop_caches', '3\n');
  }

  get label(): string {
    return this.cold ? 'cold (page cache dropped before each timed run)' : 'warm (cannot drop the page cache here)';
  }
}

async function listFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  await walk(root);
  return files;
}

const IO_BLOCK_BYTES = 1024 * 1024;

/** Reads every file under `root` once, in path order, through one reused buffer: MB/s. */
export async function measureSequentialRead(root: string, cache: PageCache): Promise<number> {
  const files = await listFiles(root);
  await cache.prepare();
  const buffer = Buffer.allocUnsafe(IO_BLOCK_BYTES);
  let bytes = 0;
  const started = performance.now();
  for (const path of files) {
    const handle = await open(path, 'r');
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return megabytesPerSecond(bytes, (performance.now() - started) / 1000);
}

/** Writes `totalBytes` of incompressible data in 1 MiB blocks to a new file, then fdatasync: MB/s. */
export async function measureSequentialWrite(dir: string, totalBytes: number, cache: PageCache): Promise<number> {
  const path = join(dir, 'seq-write.tmp');
  // Random bytes, so a compressing or deduplicating file system cannot shortcut the write.
  const block = randomBytes(IO_BLOCK_BYTES);
  await cache.prepare();
  const started = performance.now();
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < totalBytes; written += block.length) await handle.write(block);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const { size } = await stat(path);
  await rm(path, { force: true });
  return megabytesPerSecond(size, seconds);
}
