// The generated-corpus scenario: initial ingest, rescan with no changes, repository size, and restore of the latest
// tree, for synclog and its peers on the same corpus in the same run. Each run starts every tool from an empty
// repository; the tool order rotates between runs so no tool always goes first (or last) on a warm machine.
// Invariant: a restore speed is recorded only after the restored tree was checked equal to the source, and a
// synclog ingest only after its snapshot summary (files read, bytes ingested, no errors) and `synclog stats` (when
// it exists) confirm every corpus file and byte went in.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupTool } from './backup-tool.js';
import type { BenchRow } from './bench-row.js';
import { timedRun } from './child-process.js';
import type { Corpus } from './corpus.js';
import type { PageCache } from './machine.js';
import { checkRestore } from './restore-check.js';
import { describeFailure, SeriesBook } from './series-book.js';
import { megabytesPerSecond } from './stats.js';
import { describeStats, type SynclogBackupTool, type SynclogCli } from './synclog-tool.js';
import type { TreeDigest } from './tree-digest.js';

export interface CorpusScenarioInput {
  corpus: Corpus;
  /** The source's digest, computed once: every restore is compared with it. */
  expected: TreeDigest;
  /** Tools that ingest (synclog first). */
  ingestTools: readonly BackupTool[];
  /** Tools that restore without ingesting (rsync: a plain copy of the source). */
  copyTools: readonly BackupTool[];
  /** More ways to restore from synclog's log (synclog checkout), run right after synclog's own restore. */
  synclogRestoreTools: readonly BackupTool[];
  runs: number;
  workDir: string;
  cache: PageCache;
  cli: SynclogCli;
  log: (line: string) => void;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Checks synclog's own account of the ingest against the corpus; returns a problem or undefined. */
async function checkSynclogIngest(input: CorpusScenarioInput, tool: BackupTool, repo: string, dirBytes: number): Promise<string | undefined> {
  const summary = (tool as Partial<SynclogBackupTool>).lastSnapshot?.(repo);
  if (summary?.filesRead !== undefined && summary.filesRead !== input.corpus.fileCount) return `snapshot read ${summary.filesRead} files of ${input.corpus.fileCount}`;
  if (summary?.bytesIngested !== undefined && summary.bytesIngested !== input.corpus.totalBytes) return `snapshot ingested ${summary.bytesIngested} bytes of ${input.corpus.totalBytes}`;
  const stats = await input.cli.stats(repo);
  if (!stats) return undefined;
  if (stats.logicalBytes !== input.corpus.totalBytes) return `stats.logicalBytes ${stats.logicalBytes} ≠ corpus bytes ${input.corpus.totalBytes}`;
  if (stats.storedBytes > dirBytes) return `stats.storedBytes ${stats.storedBytes} > bytes on disk ${dirBytes}`;
  return undefined;
}

async function restoreOnce(input: CorpusScenarioInput, book: SeriesBook, tool: BackupTool, repo: string, run: number): Promise<void> {
  if (!tool.restore) return;
  const target = join(input.workDir, `restore-${tool.name}`);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  await input.cache.prepare();
  const seconds = await timedRun(() => tool.restore!(repo, input.corpus.root, target));
  const problem = await checkRestore(tool, input.corpus.root, target, input.expected);
  if (problem) book.note('restore', tool.name, problem);
  else book.add('restore', tool.name, megabytesPerSecond(input.corpus.totalBytes, seconds));
  input.log(`  run ${run} ${tool.name} restore ${seconds.toFixed(2)} s${problem ? ` (REJECTED: ${problem})` : ''}`);
  await rm(target, { recursive: true, force: true });
}

async function measureTool(input: CorpusScenarioInput, book: SeriesBook, tool: BackupTool, run: number): Promise<void> {
  const repo = join(input.workDir, `repo-${tool.name}`);
  await rm(repo, { recursive: true, force: true });
  await tool.init(repo);
  await input.cache.prepare();
  const ingestSeconds = await timedRun(() => tool.backup(repo, input.corpus.root, `run${run}-initial`));
  const stored = await tool.storedBytes(repo);
  const problem = tool.name === 'synclog' ? await checkSynclogIngest(input, tool, repo, stored) : undefined;
  if (problem) {
    book.note('ingest-mbps', tool.name, `REJECTED: ${problem}`);
    book.note('ingest-files', tool.name, `REJECTED: ${problem}`);
  } else {
    book.add('ingest-mbps', tool.name, megabytesPerSecond(input.corpus.totalBytes, ingestSeconds));
    book.add('ingest-files', tool.name, input.corpus.fileCount / ingestSeconds);
  }
  book.add('stored', tool.name, stored / 1e6);
  const stats = tool.name === 'synclog' ? input.cli.lastStats(repo) : undefined;
  if (stats) book.note('stored', tool.name, describeStats(stats, stored));
  await input.cache.prepare();
  const rescanSeconds = await timedRun(() => tool.backup(repo, input.corpus.root, `run${run}-rescan`));
  book.add('rescan', tool.name, rescanSeconds);
  input.log(`  run ${run} ${tool.name} ingest ${ingestSeconds.toFixed(2)} s, stored ${(stored / 1e6).toFixed(1)} MB, rescan ${rescanSeconds.toFixed(2)} s`);
  if (tool.restore) await restoreOnce(input, book, tool, repo, run).catch((error: unknown) => book.note('restore', tool.name, `run ${run} ${describeFailure(error)}`));
  else if (tool.name === 'synclog') book.note('restore', tool.name, input.cli.missing('receive') ?? 'no restore');
  if (tool.name === 'synclog') {
    for (const other of input.synclogRestoreTools) {
      if (other.unavailable) continue;
      await restoreOnce(input, book, other, repo, run).catch((error: unknown) => book.note('restore', other.name, `run ${run} ${describeFailure(error)}`));
    }
  }
  await rm(repo, { recursive: true, force: true });
}

export async function runCorpusScenario(input: CorpusScenarioInput): Promise<BenchRow[]> {
  const { corpus } = input;
  const what = `corpus ${(corpus.totalBytes / 1e6).toFixed(0)} MB / ${corpus.fileCount.toLocaleString('en-US')} files`;
  const cacheNote = `${input.cache.label}; each timing ends after a system-wide sync`;
  const book = new SeriesBook(
    [
      { key: 'ingest-mbps', name: `initial ingest, ${what}`, unit: 'MB/s', higherIsBetter: true, note: cacheNote },
      { key: 'ingest-files', name: `initial ingest, ${what}`, unit: 'files/s', higherIsBetter: true },
      { key: 'stored', name: `repository size after initial ingest, ${what}`, unit: 'MB', higherIsBetter: false },
      { key: 'rescan', name: `rescan with no changes, ${what}`, unit: 's', higherIsBetter: false, note: cacheNote },
      { key: 'restore', name: `restore latest tree, ${what}`, unit: 'MB/s', higherIsBetter: true, note: `${cacheNote}; every restored tree was compared with the source before its time was counted` },
    ],
    [...input.ingestTools, ...input.synclogRestoreTools, ...input.copyTools].map((tool) => tool.name),
  );
  for (const tool of [...input.ingestTools, ...input.copyTools, ...input.synclogRestoreTools]) if (tool.unavailable) book.noteAll(tool.name, tool.unavailable);
  // A failed run is noted (with its run number) and the next run tries again: an intermittent failure shows up as
  // fewer samples plus the note, never as a silently shorter row.
  for (let run = 1; run <= input.runs; run++) {
    for (const tool of rotate(input.ingestTools, run - 1)) {
      if (tool.unavailable) continue;
      try {
        await measureTool(input, book, tool, run);
      } catch (error) {
        book.noteAll(tool.name, `run ${run} ${describeFailure(error)}`);
        input.log(`  run ${run} ${tool.name}: ${describeFailure(error)}`);
      }
    }
    for (const tool of input.copyTools) {
      if (tool.unavailable) continue;
      await restoreOnce(input, book, tool, '', run).catch((error: unknown) => book.note('restore', tool.name, `run ${run} ${describeFailure(error)}`));
    }
  }
  const ingestNames = input.ingestTools.map((tool) => tool.name);
  const restoreTools = [...input.ingestTools.slice(0, 1), ...input.synclogRestoreTools, ...input.ingestTools.slice(1), ...input.copyTools];
  const restoreNames = restoreTools.filter((tool) => tool.restore || tool.name === 'synclog').map((tool) => tool.name);
  return book.rows((key) => (key === 'restore' ? restoreNames : ingestNames));
}
