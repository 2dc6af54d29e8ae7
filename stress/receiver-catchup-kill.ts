// `npm run stress -- N --only receiver-catchup-kill`: the catch-up kill test (tests/fault/receiver-catchup-sigkill)
// with N SIGKILLs (default 30) instead of the suite's 10: a latest receiver skipping superseded records is killed at
// random moments and each restart must end in the exact source tree.
import { runFaultTest } from './lib/fault-test.js';

runFaultTest('tests/fault/receiver-catchup-sigkill.test.ts', 'SYNCLOG_CATCHUP_KILLS');
