// `npm run stress -- N --only jetstream-cluster-kill`: the 3-node NATS cluster fault test
// (tests/fault/jetstream-cluster-faults) with N rounds (default 30) instead of the suite's 2: each round kills -9 the
// R3 stream's leader node while the publisher publishes what a live watcher records, then kills -9 the publisher and
// restarts the node; the stream must hold every record once and the following receiver and replica end exact.
import { runFaultTest } from './lib/fault-test.js';

runFaultTest('tests/fault/jetstream-cluster-faults.test.ts', 'SYNCLOG_JS_CLUSTER_KILLS');
