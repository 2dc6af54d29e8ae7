// One scheduled retention pass on a log's writer (docs/format.md "Server-side retention"): forget by the policy,
// then prune when a prune would rewrite anything. Runs on the writer it is given (a push server runs it inside its
// push lock: LogServer.asWriter), never opens a second one. A crash at any point is what a crash of `synclog forget`
// or `synclog prune` is: the forget group is all or nothing, the prune commits by its manifest and rolls forward.
import type { Log } from '../log/index.js';
import { forgetVersions, type ForgetReport } from './forget.js';
import type { RetentionPolicy } from './policy.js';
import { pruneLog, type PruneReport } from './prune.js';

export interface RetainOptions {
  policy: RetentionPolicy;
  /** The policy as given (the forget record's audit trail). */
  policyText: string;
  /** The clock of the host holding the log (for keep-within). Default Date.now(). */
  nowMs?: number;
  /** As prune's --max-unused. Default 5 %. */
  maxUnusedFraction?: number;
  /** Test seam passed to the prune commit. */
  onStep?: (step: string) => Promise<void> | void;
}

export interface RetainReport {
  forget: ForgetReport;
  /** Undefined when no segment was worth rewriting (no rollover, nothing written by the prune). */
  prune: PruneReport | undefined;
}

/**
 * Forgets by `policy`, then prunes if that frees more than --max-unused allows to stay. Two reads of the log (the
 * forget's, the prune's scan) before any rewrite: a push server holds its pushes for the whole pass.
 */
export async function retainLog(log: Log, options: RetainOptions): Promise<RetainReport> {
  const forget = await forgetVersions(log, { policy: options.policy, policyText: options.policyText, nowMs: options.nowMs });
  const prune = await pruneLog(log, { maxUnusedFraction: options.maxUnusedFraction, onStep: options.onStep });
  return { forget, prune: prune.segmentsRewritten === 0 ? undefined : prune };
}
