// One way for a stress script to run a suite fault test with a larger count: the test reads its count from an
// environment variable (the suite's small default otherwise), and runs alone (one worker) so kills land on a
// machine that is not also running the rest of the suite.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs `testFile` with `countVariable` set to the script's first argument (or `defaultCount`); sets the exit code. */
export function runFaultTest(testFile: string, countVariable: string, defaultCount = 30): void {
  const count = process.argv[2] ?? String(defaultCount);
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', testFile, '--maxWorkers=1'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, [countVariable]: count },
  });
  process.exitCode = result.status ?? 1;
}

/** Runs `testFiles` (one worker) with the given counts in the environment; returns the exit status. */
export function runFaultTestsWith(testFiles: readonly string[], env: Record<string, string>): number {
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...testFiles, '--maxWorkers=1'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
}
