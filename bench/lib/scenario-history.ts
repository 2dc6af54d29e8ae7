// The real-history scenario: successive published versions of an npm package laid onto one tree, each ingested as
// the next state, by synclog and its peers. Measures the repository's final size (git after `git gc`) and the
// total time of all ingests (git's gc included). The tree is just written before each ingest, so this is a warm
// cache measurement; dirty pages are synced before each timing so no tool pays for writing the tree.
// Invariant: synclog's size is reported only after its latest state was restored and compared with the last
// version (when receive exists) and its stats agree with the bytes on disk (when stats exists).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupTool } from './backup-tool.js';
import type { BenchRow } from './bench-row.js';
import { syncDisks, timedRun } from './child-process.js';
import { HISTORY_PACKAGE, syncTree, type HistoryVersion } from './npm-history.js';
import { checkRestore } from './restore-check.js';
import { describeFailure, SeriesBook } from './series-book.js';
import { describeStats, type SynclogCli } from './synclog-tool.js';
import { hashTree } from './tree-digest.js';

export interface HistoryScenarioInput {
  versions: readonly HistoryVersion[];
  tools: readonly BackupTool[];
  runs: number;
  workDir: string;
  cli: SynclogCli;
  log: (line: string) => void;
}

async function checkSynclogHistory(input: HistoryScenarioInput, tool: BackupTool, repo: string, tree: string, dirBytes: number): Promise<string | undefined> {
  const stats = await input.cli.stats(repo);
  if (stats && stats.storedBytes > dirBytes) return `stats.storedBytes ${stats.storedBytes} > bytes on disk ${dirBytes}`;
  if (stats && stats.uniqueBytes > stats.logicalBytes) return `stats.uniqueBytes ${stats.uniqueBytes} > logicalBytes ${stats.logicalBytes}`;
  if (!tool.restore) return undefined;
  const target = join(input.workDir, 'history-restore');
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  try {
    await tool.restore(repo, tree, target);
    const problem = await checkRestore(tool, tree, target, await hashTree(tree));
    return problem ? `latest state restored wrong: ${problem}` : undefined;
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

/** Ingests every version with one tool; returns [total seconds, stored bytes, logical bytes, compact seconds]. */
async function replayHistory(input: HistoryScenarioInput, book: SeriesBook, tool: BackupTool, run: number): Promise<[number, number, number, number]> {
  const repo = join(input.workDir, `history-repo-${tool.name}`);
  const tree = join(input.workDir, 'history-tree');
  await rm(repo, { recursive: true, force: true });
  await rm(tree, { recursive: true, force: true });
  await tool.init(repo);
  let seconds = 0;
  let logicalBytes = 0;
  for (const { version, dir } of input.versions) {
    logicalBytes += await syncTree(dir, tree);
    await syncDisks();
    seconds += await timedRun(() => tool.backup(repo, tree, `${HISTORY_PACKAGE}-${version}`));
  }
  const compactSeconds = tool.compact ? await timedRun(() => tool.compact!(repo)) : 0;
  const stored = await tool.storedBytes(repo);
  if (tool.name === 'synclog') {
    const problem = await checkSynclogHistory(input, tool, repo, tree, stored);
    if (problem) throw new Error(`REJECTED: ${problem}`);
    const stats = input.cli.lastStats(repo);
    if (stats) book.note('stored', tool.name, describeStats(stats, stored));
  }
  input.log(`  run ${run} ${tool.name} history ${(seconds + compactSeconds).toFixed(2)} s, stored ${(stored / 1e6).toFixed(1)} MB`);
  await rm(repo, { recursive: true, force: true });
  await rm(tree, { recursive: true, force: true });
  return [seconds + compactSeconds, stored, logicalBytes, compactSeconds];
}

export async function runHistoryScenario(input: HistoryScenarioInput): Promise<BenchRow[]> {
  const first = input.versions[0]?.version ?? '?';
  const last = input.versions[input.versions.length - 1]?.version ?? '?';
  const what = `${input.versions.length} versions of ${HISTORY_PACKAGE} (${first} … ${last})`;
  const names = input.tools.map((tool) => tool.name);
  const book = new SeriesBook(
    [
      { key: 'stored', name: `repository size after ${what}`, unit: 'MB', higherIsBetter: false },
      { key: 'time', name: `total ingest time, ${what}`, unit: 's', higherIsBetter: false, note: 'warm cache (each state was just written; synced before each timing); git includes its final git gc' },
    ],
    names,
  );
  let logicalBytes = 0;
  const gcSeconds: number[] = [];
  for (const tool of input.tools) if (tool.unavailable) book.noteAll(tool.name, tool.unavailable);
  for (let run = 1; run <= input.runs; run++) {
    const order = [...input.tools.slice((run - 1) % input.tools.length), ...input.tools.slice(0, (run - 1) % input.tools.length)];
    for (const tool of order) {
      if (tool.unavailable) continue;
      try {
        const [seconds, stored, logical, compactSeconds] = await replayHistory(input, book, tool, run);
        book.add('time', tool.name, seconds);
        book.add('stored', tool.name, stored / 1e6);
        logicalBytes = logical;
        if (tool.compact) gcSeconds.push(compactSeconds);
      } catch (error) {
        book.noteAll(tool.name, `run ${run} ${describeFailure(error)}`);
        input.log(`  run ${run} ${tool.name}: ${describeFailure(error)}`);
      }
    }
  }
  const rows = book.rows();
  const gc = gcSeconds.length > 0 ? `; git gc took ${gcSeconds.map((s) => s.toFixed(1)).join(', ')} s of git's total` : '';
  rows[0]!.note = `the ${input.versions.length} states hold ${(logicalBytes / 1e6).toFixed(0)} MB in all; sizes are every file under the repository directory${gc}`;
  return rows;
}
