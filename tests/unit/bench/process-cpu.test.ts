// CPU accounting of benchmarked processes (bench/lib/process-cpu.ts): parsing /proc/<pid>/stat, and the CPU of a
// child that exited showing up in its parent's reaped time.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseProcStat, processCpu, withChildCpu } from '../../../bench/lib/process-cpu.js';

/** A /proc/<pid>/stat line with utime 250, stime 50, cutime 1000, cstime 200 (ticks of 1/100 s). */
function statLine(comm: string): string {
  const after = ['S', '1', '1', '1', '0', '-1', '4194560', '100', '0', '0', '0', '250', '50', '1000', '200', '20', '0', '1', '0', '5', '0'];
  return `4242 (${comm}) ${after.join(' ')}`;
}

describe('process CPU from /proc', () => {
  it('reads user + system of the process and of its reaped children, in seconds', () => {
    expect(parseProcStat(statLine('node'))).toEqual({ own: 3, reaped: 12 });
  });

  it('counts fields from the last parenthesis: a command name may hold spaces and parentheses', () => {
    expect(parseProcStat(statLine('a (b) c'))).toEqual({ own: 3, reaped: 12 });
  });

  it('gives nothing for a line it cannot read', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('4242 (node) S 1 2')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('charges a child that burned CPU to its parent once it has exited', async () => {
    expect(processCpu()).toBeDefined();
    const { cpuSeconds } = await withChildCpu(
      () =>
        new Promise<void>((resolve, reject) => {
          // Busy for 300 ms of wall time: at least some of it is CPU even on a loaded machine.
          const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 300; while (Date.now() < end) {}']);
          child.on('error', reject);
          child.on('close', () => resolve());
        }),
    );
    expect(cpuSeconds).toBeGreaterThan(0);
  });
});
