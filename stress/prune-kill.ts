// `npm run stress -- --only prune-kill` (or `tsx stress/prune-kill.ts --kills N`): the prune SIGKILL test
// (tests/fault/prune-sigkill) with N kills (default 30) instead of the suite's 4: each kill must leave a log that
// verifies with every kept version intact, all-or-nothing after a writer's open, exact after a finished prune.
import { runFaultTest } from './lib/fault-test.js';

const at = process.argv.indexOf('--kills');
if (at >= 0) process.argv.splice(2, process.argv.length, process.argv[at + 1] ?? '30');
runFaultTest('tests/fault/prune-sigkill.test.ts', 'SYNCLOG_PRUNE_KILLS');
