// CPU time of the processes a benchmark runs, from Linux's /proc/<pid>/stat: what a run cost in CPU-seconds, which
// on a shared machine says more than its wall time (a 2-core VM at load 20 stretches wall time 2-3x, CPU-s far less).
// Owns reading and parsing that file; never starts or stops a process. Elsewhere (no /proc) every figure is undefined.
// Invariant: `reaped` only grows, and only when a child of the process has exited and been waited for; so the CPU of
// a short-lived child is the growth of its parent's `reaped` across the child's run (when no other child exits then).
import { readFileSync } from 'node:fs';
import { procStatFields } from '../../src/util/proc-stat.js';

/** The kernel reports these fields in USER_HZ ticks, 100 per second on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export interface ProcessCpu {
  /** User + system seconds of the process itself (all its threads). */
  own: number;
  /** User + system seconds of its children that have exited and been waited for. */
  reaped: number;
}

/** Parses a /proc/<pid>/stat line (procStatFields: utime, stime, cutime, cstime are fields 14-17). */
export function parseProcStat(line: string): ProcessCpu | undefined {
  const fields = procStatFields(line);
  if (!fields) return undefined;
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  if (![utime, stime, cutime, cstime].every((value) => Number.isInteger(value) && value! >= 0)) return undefined;
  return { own: (utime! + stime!) / TICKS_PER_SECOND, reaped: (cutime! + cstime!) / TICKS_PER_SECOND };
}

/** CPU of process `pid` now (default: this one); undefined when /proc cannot say (not Linux, process gone). */
export function processCpu(pid: number = process.pid): ProcessCpu | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Runs `body` and returns its result with the CPU-seconds the children of this process that exited meanwhile used
 * (undefined without /proc): the cost of a tool `body` ran to completion, when nothing else this process started
 * ends during it.
 */
export async function withChildCpu<T>(body: () => Promise<T>): Promise<{ result: T; cpuSeconds: number | undefined }> {
  const before = processCpu();
  const result = await body();
  const after = processCpu();
  return { result, cpuSeconds: before && after ? after.reaped - before.reaped : undefined };
}
