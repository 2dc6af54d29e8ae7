// `npm run stress -- N --only receiver-catchup-kill`: the catch-up kill test (tests/fault/receiver-catchup-sigkill)
// with N SIGKILLs (default 30) instead of the suite's 10: a latest receiver skipping superseded records is killed at
// random moments and each restart must end in the exact source tree.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kills = process.argv[2] ?? '30';
const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'tests/fault/receiver-catchup-sigkill.test.ts', '--maxWorkers=1'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SYNCLOG_CATCHUP_KILLS: kills },
});
process.exitCode = result.status ?? 1;
