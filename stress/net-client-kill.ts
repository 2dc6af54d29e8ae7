// `npm run stress -- N --only net-client-kill`: the client-kill fault test (tests/fault/net-client-kill) with N SIGKILLs
// (default 30) of `receive --from` and of `replicate` each, instead of the suite's 3; both must end exact.
import { runFaultTest } from './lib/fault-test.js';

runFaultTest('tests/fault/net-client-kill.test.ts', 'SYNCLOG_NET_CLIENT_KILLS');
