// `npm run stress -- N --only net-server-kill`: the server-kill fault test (tests/fault/net-server-kill) with N rounds
// (default 30) instead of the suite's 3: `synclog serve` is killed with SIGKILL during a remote catch-up and
// restarted; every round must end in the exact source tree.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = process.argv[2] ?? '30';
const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'tests/fault/net-server-kill.test.ts', '--maxWorkers=1'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SYNCLOG_NET_SERVER_KILLS: rounds },
});
process.exitCode = result.status ?? 1;
