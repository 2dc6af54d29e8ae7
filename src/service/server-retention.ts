// Scheduled retention on a server that takes pushes (`serve --retain`, config `serve.retain`; docs/format.md
// "Server-side retention"): one forget + prune pass at start and then one every interval, each run inside the
// server's writer (LogServer.asWriter: between pushes, never from a second process or writer), by the server's own
// clock and, for pushed versions, their receive times. A failed pass is told and the schedule goes on; stop() waits
// for a pass in progress (what a prune committed is finished, never left half renamed by a clean stop).
import type { LogServer } from '../net/index.js';
import { retainLog, type RetainReport, type RetentionPolicy } from '../retention/index.js';
import { formatSize } from '../util/format-size.js';
import { Schedule } from './schedule.js';

export interface ServerRetentionOptions {
  policy: RetentionPolicy;
  /** The policy as given (`keep-daily=7,…`), kept in the forget records. */
  policyText: string;
  everyMs: number;
  onPass: (report: RetainReport, tookMs: number) => void;
  onError: (error: unknown) => void;
}

export class ServerRetention {
  private readonly schedule: Schedule;

  constructor(server: Pick<LogServer, 'asWriter'>, options: ServerRetentionOptions) {
    const policyText = `serve --retain ${options.policyText}`;
    this.schedule = new Schedule(options.everyMs, 0, async () => {
      const startMs = Date.now();
      try {
        const report = await server.asWriter((log) => retainLog(log, { policy: options.policy, policyText, nowMs: Date.now() }));
        options.onPass(report, Date.now() - startMs);
      } catch (error) {
        options.onError(error);
      }
    });
  }

  /** When the next pass starts (ms since the epoch), for status. */
  get nextRunMs(): number | undefined {
    return this.schedule.nextRunMs;
  }

  /** Runs the first pass now, then one every interval (counted from the end of the last). */
  start(): void {
    this.schedule.start();
  }

  stop(): Promise<void> {
    return this.schedule.stop();
  }
}

/** A pass in one line, for the operator (serve's stderr, the service log). */
export function describeRetainPass(report: RetainReport, tookMs: number): string {
  const forgot = `forgot ${report.forget.forgotten.length} version(s), kept ${report.forget.kept} over ${report.forget.paths} path(s)`;
  const pruned = report.prune ? `; pruned ${report.prune.versionsRemoved} version(s) and ${report.prune.chunksRemoved} chunk(s), freed ${formatSize(report.prune.bytesFreed)}` : '; nothing to prune';
  return `retention: ${forgot}${pruned} (${tookMs} ms)`;
}
