// `npm run stress [-- COUNT] [-- --only NAME] [-- --no-build]`: builds dist/ (children run the built code), then
// runs every stress/<name>.ts except this one, one after another, each as `tsx stress/<name>.ts COUNT`.
// COUNT is each script's own iteration count (kills, rounds…); without it each script uses its default.
// Exits 1 if any script fails. Long runs belong here, never in the test suite.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const count = args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--only');

if (!args.includes('--no-build')) {
  // Someone else's half-written file must not stop a stress run: emit anyway, as the team rules allow.
  spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noEmitOnError', 'false'], {
    cwd: root,
    stdio: 'inherit',
  });
}

const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => !only || f === `${only}.ts` || f === only)
  .sort();
let failed = 0;
for (const script of scripts) {
  const started = Date.now();
  process.stdout.write(`== stress/${script}${count ? ` ${count}` : ''}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, script), ...(count ? [count] : [])], { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) process.stdout.write(`== stress/${script}: ok (${seconds} s)\n`);
  else {
    failed++;
    process.stdout.write(`== stress/${script}: FAILED (exit ${result.status ?? result.signal}, ${seconds} s)\n`);
  }
}
process.stdout.write(`${scripts.length - failed}/${scripts.length} stress scripts passed\n`);
process.exitCode = failed === 0 ? 0 : 1;
