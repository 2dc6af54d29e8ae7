// `npm run stress -- --only serve-retain-kill` (or `tsx stress/serve-retain-kill.ts --kills N`): the server
// retention SIGKILL test (tests/fault/serve-retain-sigkill) with N kills (default 20) instead of the suite's 2: each
// kill of `serve --retain` mid-prune must leave a log that verifies with every kept version intact, all-or-nothing
// after a writer's open, and exactly the kept versions after the next start's pass.
import { runFaultTest } from './lib/fault-test.js';

const at = process.argv.indexOf('--kills');
if (at >= 0) process.argv.splice(2, process.argv.length, process.argv[at + 1] ?? '20');
runFaultTest('tests/fault/serve-retain-sigkill.test.ts', 'SYNCLOG_SERVE_RETAIN_KILLS', 20);
