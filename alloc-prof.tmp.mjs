// In-process receiver catch-up under the sampling heap profiler, counting objects the GC already collected.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { LogReceiver } from './dist/receiver/index.js';
const session = new Session(); session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const r = new LogReceiver({ logPath: '/tmp/rx/log', outputPath: '/tmp/rx/out', mode: 'latest' });
await r.catchUp();
const { profile } = await session.post('HeapProfiler.stopSampling');
writeFileSync('/tmp/rx/alloc.heapprofile', JSON.stringify(profile));
console.log('done');
