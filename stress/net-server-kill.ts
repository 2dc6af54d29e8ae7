// `npm run stress -- N --only net-server-kill`: the server-kill fault test (tests/fault/net-server-kill) with N rounds
// (default 30) instead of the suite's 3: `synclog serve` is killed with SIGKILL during a remote catch-up and
// restarted; every round must end in the exact source tree.
import { runFaultTest } from './lib/fault-test.js';

runFaultTest('tests/fault/net-server-kill.test.ts', 'SYNCLOG_NET_SERVER_KILLS');
