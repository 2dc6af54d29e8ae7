// checkout: writes the whole tree as it was at a moment (a time, or just after a given version) into an empty
// destination, DEST/<root>/<path>: the versions the catch-up planner (catch-up-plan.ts) keeps of the records up to
// that moment, so a folder deleted with no delete of each file in it leaves none of them. The same gate, atomic writes, content-writer threads
// and batched durability as the receiver; links only when they point inside the destination. Directory mtimes are
// set last, deepest first, so writing their children does not undo them.
// Never does: write into a non-empty destination (that would mix two trees), or follow a link it made.
import { mkdir, readdir, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CorruptionError, NotFoundError, UsageError, wrapIoError } from '../errors.js';
import type { EntryRecord, VersionRecord } from '../record/index.js';
import { openStore, type CatalogApi, type SkippedRegion, type StoredRecord, type UnreadableVersion } from '../store/index.js';
import { RECEIVER_LIMITS } from '../util/limits.js';
import { applyVersionAt, whereOf, type ApplyContext } from './apply-latest.js';
import type { ApplyScheduler } from './apply-scheduler.js';
import { plannedTree } from './catch-up-plan.js';
import { contentProvider, ContentWriterPool } from './content-writer-pool.js';
import { DestinationPaths, topNameInside } from './destination-path.js';
import { Destination } from './destination.js';
import { scheduleWithBatch } from './durable-batch.js';
import { FilesystemSync } from './filesystem-sync.js';
import { parseTimeSpec } from '../util/time-spec.js';
import type { ReceiverWarning } from './types.js';

export interface CheckoutOptions {
  logPath: string;
  outputPath: string;
  /** A moment: ms since the epoch, a Date, or text parseTimeSpec reads ("2026-11-21T10:00:00Z", "2h ago"). */
  at?: number | Date | string;
  /** A version id (or unique prefix of 6+ characters): the tree just after that version was recorded. */
  versionId?: string;
  concurrency?: number;
  onWarning?: (warning: ReceiverWarning) => void;
  onProgress?: (done: number, total: number) => void;
  /**
   * Read on past damaged records (docs/format.md "Reading past damage"): a file whose content is not intact is not
   * written and is listed in `unreadable`; everything else is. Default false: damage stops the checkout.
   */
  skipDamaged?: boolean;
}

export interface CheckoutSummary {
  /** The moment checked out (ISO 8601), when given by time. */
  at?: string;
  /** The version checked out to, when given by version. */
  versionId?: string;
  entries: number;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  skippedSymlinks: number;
  durationMs: number;
  /** Files not written (skipDamaged only): their content is not intact in the log. */
  unreadable: UnreadableVersion[];
  /** Damaged regions of the log read past (skipDamaged only). */
  skipped: SkippedRegion[];
}

async function openEmptyDestination(outputPath: string): Promise<string> {
  const wanted = resolve(outputPath);
  try {
    await mkdir(wanted, { recursive: true });
    if ((await readdir(wanted)).length > 0) throw new UsageError(`${wanted} is not empty; checkout writes into an empty folder`, { dest: wanted });
    return await realpath(wanted);
  } catch (error) {
    throw wrapIoError(error, 'open destination', wanted);
  }
}

function resolveMoment(options: CheckoutOptions): number | undefined {
  if ((options.at === undefined) === (options.versionId === undefined)) throw new UsageError('checkout needs exactly one of --at TIME or --version ID', {});
  if (options.at === undefined) return undefined;
  if (options.at instanceof Date) return options.at.getTime();
  return typeof options.at === 'number' ? options.at : parseTimeSpec(options.at);
}

/**
 * A moment before the log's first recorded entry has no tree: an empty checkout there is never what was meant (a
 * misread time, e.g. seconds taken as ms), so it is refused with the log's first moment.
 */
function refuseBeforeFirst(catalog: Pick<CatalogApi, 'paths' | 'history'>, timeMs: number): void {
  let firstMs = Infinity;
  for (const { root, path } of catalog.paths()) firstMs = Math.min(firstMs, catalog.history(root, path)[0]?.record.time ?? Infinity);
  if (timeMs >= firstMs || firstMs === Infinity) return;
  throw new UsageError(`${new Date(timeMs).toISOString()} is before the log begins (its first entry was recorded at ${new Date(firstMs).toISOString()}): nothing to check out`, {
    at: timeMs,
    firstMs,
    fix: 'give a later --at (a bare number is Unix seconds; 10^11 or more is milliseconds)',
  });
}

/** Checks out the tree at a moment into an empty `outputPath`. Resolves once every file is durable. */
export async function checkout(options: CheckoutOptions): Promise<CheckoutSummary> {
  const started = performance.now();
  const timeMs = resolveMoment(options);
  const store = await openStore(resolve(options.logPath), { readOnly: true, workers: 0, skipDamaged: options.skipDamaged === true });
  // Started before the catalog is read, so the threads have booted by the time the first file is written.
  const writers = ContentWriterPool.create(store.logDir);
  let syncer: FilesystemSync | undefined;
  try {
    const catalog = await store.catalog();
    let cut: { atSeq?: number; timeMs?: number };
    if (timeMs === undefined) {
      cut = { atSeq: catalog.resolveVersion(options.versionId!).seq };
    } else {
      refuseBeforeFirst(catalog, timeMs);
      cut = { timeMs };
    }
    const tree = plannedTree(entriesUpTo(catalog, cut));
    const wanted = resolve(options.outputPath);
    if (wanted === store.logDir || topNameInside(store.logDir, wanted) !== undefined) {
      throw new UsageError(`the destination ${wanted} is inside the log ${store.logDir}`, { dest: wanted, log: store.logDir });
    }
    const root = await openEmptyDestination(wanted);
    syncer = await FilesystemSync.start(root);
    const entries = [...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // Launched in path order, so the scheduler's seq is the entry's index; a write parks under its record's log seq.
    const indexOfSeq = new Map(entries.map(([, stored], index) => [stored.seq, index]));
    const { scheduler, batch } = scheduleWithBatch(options.concurrency ?? RECEIVER_LIMITS.applyConcurrency, syncer, (seq) => indexOfSeq.get(seq)!);
    const dest = new Destination(root, batch);
    const summary: CheckoutSummary = { entries: tree.size, files: 0, dirs: 0, symlinks: 0, bytes: 0, skippedSymlinks: 0, durationMs: 0, unreadable: [], skipped: [] };
    if (timeMs !== undefined) summary.at = new Date(timeMs).toISOString();
    else summary.versionId = options.versionId;
    const ctx: ApplyContext = {
      dest,
      paths: new DestinationPaths(root),
      content: contentProvider(store, writers),
      warn: (warning) => {
        summary.skippedSymlinks++;
        options.onWarning?.(warning);
      },
    };
    await writeTree(ctx, scheduler, entries, summary, options);
    summary.skipped = store.skipped();
    summary.durationMs = performance.now() - started;
    return summary;
  } finally {
    syncer?.close();
    await writers.close();
    await store.close();
  }
}

/** Every version and delete at or before the cut, in log order: the planner's input. */
function entriesUpTo(catalog: CatalogApi, cut: { atSeq?: number; timeMs?: number }): StoredRecord<EntryRecord>[] {
  const entries: StoredRecord<EntryRecord>[] = [];
  for (const view of catalog.paths()) {
    for (const entry of catalog.history(view.root, view.path)) {
      if ((cut.atSeq === undefined || entry.seq <= cut.atSeq) && (cut.timeMs === undefined || entry.record.time <= cut.timeMs)) entries.push(entry);
    }
  }
  return entries.sort((a, b) => a.seq - b.seq);
}

async function writeTree(
  ctx: ApplyContext,
  scheduler: ApplyScheduler,
  entries: [string, StoredRecord<VersionRecord>][],
  summary: CheckoutSummary,
  options: CheckoutOptions,
): Promise<void> {
  const dirs: { target: string; mode: number; mtimeMs: number; depth: number }[] = [];
  let done = 0;
  for (const [index, [display, stored]] of entries.entries()) {
    const where = whereOf(stored);
    const target = ctx.paths.entryPath(stored.record.root, stored.record.path, where);
    if (stored.record.type === 'dir') dirs.push({ target, mode: stored.record.mode, mtimeMs: stored.record.mtimeMs, depth: display.split('/').length });
    // Launched in path order (parents first), so the scheduler's order is the index, not the seq.
    await scheduler.launch(index, display, async () => {
      let applied: Awaited<ReturnType<typeof applyVersionAt>>;
      try {
        applied = await applyVersionAt(ctx, stored, target, { where, replay: false });
      } catch (error) {
        // Damaged content costs only its own file (never written: the atomic write is dropped) when asked to go on.
        if (!options.skipDamaged || !(error instanceof CorruptionError)) throw error;
        summary.unreadable.push({ path: display, versionId: stored.record.versionId, reason: error.message });
        options.onProgress?.(++done, entries.length);
        return;
      }
      const { action, bytes } = applied;
      summary.bytes += bytes;
      if (action === 'write') summary.files++;
      else if (action === 'mkdir') summary.dirs++;
      else if (action === 'symlink') summary.symlinks++;
      options.onProgress?.(++done, entries.length);
    });
  }
  await scheduler.drain();
  dirs.sort((a, b) => b.depth - a.depth);
  for (const dir of dirs) await ctx.dest.finishDir(dir.target, dir.mode, dir.mtimeMs);
  await ctx.dest.syncDirs();
}
