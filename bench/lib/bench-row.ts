// The one shape every benchmark result takes, so the harness (bench/run.ts) can print rows from any bench module
// side by side with the peers. A bench module (bench/log-append.ts, bench/store-ingest.ts, …) exports an async
// function returning BenchRow[]; the harness calls it with BenchModuleOptions and never looks inside.
// Invariant: a row carries its raw samples (one per run), never only a summary, so min/median/max are computed in
// one place (bench/lib/stats.ts) for every row alike.

export interface BenchSeries {
  /** Who ran: 'synclog', 'restic', 'borg', 'git', 'rsync', 'machine', or any label a module chooses. */
  tool: string;
  /** One value per run, in `unit`. Empty when the tool could not run (then `note` says why). */
  samples: number[];
  /** Why samples are missing or what is special about them (settings, warm cache, …). */
  note?: string;
}

export interface BenchRow {
  /** What was measured, e.g. "initial ingest, corpus 400 MB / 10,000 files". */
  name: string;
  /** Unit of every sample, e.g. "MB/s", "files/s", "s", "MB", "records/s". */
  unit: string;
  /** True when a larger value is better (throughput); false for times and sizes. */
  higherIsBetter: boolean;
  /** synclog's series first when there is one, then the peers on the same data in the same run. */
  series: BenchSeries[];
  /** A remark printed under the table (cache state, data, caveats). */
  note?: string;
}

/** What the harness passes to every bench module. Modules may ignore any of it. */
export interface BenchModuleOptions {
  /** A short run (about two minutes for everything): smaller data, fewer runs. */
  quick: boolean;
  /** How many times each measurement is repeated. */
  runs: number;
  /** A scratch directory the module owns for this run (removed afterwards). */
  workDir: string;
  /** The repository root (for bin/synclog.js and dist/). */
  repoRoot: string;
}

export type BenchModuleFunction = (options: BenchModuleOptions) => Promise<BenchRow[]>;

/** A module run on its own (`npx tsx bench/<module>.ts [--quick] [--runs N]`): its options from the command line. */
export function moduleOptionsFromArgs(args: readonly string[], defaultRuns?: number): Partial<BenchModuleOptions> {
  const runsAt = args.indexOf('--runs');
  return { quick: args.includes('--quick'), runs: runsAt >= 0 ? Number(args[runsAt + 1]) : defaultRuns };
}

/** A module's `--only a,b` from the command line: the parts named, each one of `parts` (all of them without --only). */
export function onlyFromArgs<Part extends string>(args: readonly string[], parts: readonly Part[]): Part[] {
  const at = args.indexOf('--only');
  if (at < 0) return [...parts];
  const isPart = (part: string): part is Part => (parts as readonly string[]).includes(part);
  return (args[at + 1] ?? '').split(',').map((part) => {
    if (!isPart(part)) throw new Error(`--only takes ${parts.join(', ')} (comma separated), not ${part}`);
    return part;
  });
}
