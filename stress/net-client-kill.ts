// `npm run stress -- N --only net-client-kill`: the client-kill fault test (tests/fault/net-client-kill) with N SIGKILLs
// (default 30) of `receive --from` and of `replicate` each, instead of the suite's 3; both must end exact.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kills = process.argv[2] ?? '30';
const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'tests/fault/net-client-kill.test.ts', '--maxWorkers=1'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SYNCLOG_NET_CLIENT_KILLS: kills },
});
process.exitCode = result.status ?? 1;
