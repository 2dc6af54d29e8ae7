// `npm run stress -- N --only sync-random` or `tsx stress/sync-random.ts [--ops N] [--seed S]`: the random sync
// fault test (tests/fault/sync-random.test.ts) with N operations (default 300) over three `synclog sync` nodes,
// with SIGKILLs and restarts every N/10 operations, instead of the suite's 30; the folders must converge and every
// log hold every version. The seed is printed; --seed repeats a run.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const valueOf = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
// stress/run.ts passes its COUNT as a bare number.
const ops = valueOf('--ops') ?? args.find((a) => /^\d+$/.test(a) && args[args.indexOf(a) - 1] !== '--seed') ?? '300';
const seed = valueOf('--seed');
const result = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'tests/fault/sync-random.test.ts', '--maxWorkers=1'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SYNCLOG_SYNC_OPS: ops, ...(seed ? { SYNCLOG_SYNC_SEED: seed } : {}), SYNCLOG_SYNC_SETTLE_MS: String(Math.max(240_000, Number(ops) * 1000)) },
});
process.exitCode = result.status ?? 1;
