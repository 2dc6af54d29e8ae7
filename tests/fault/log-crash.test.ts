// Kill -9 the writer at random moments, ≥ 50 times, then reopen and check every acknowledged record
// (the fault model and the checks are in stress/log-crash.ts; `npm run stress` runs thousands of cycles).
import { describe, expect, it } from 'vitest';
import { runCrashCycles } from '../../stress/log-crash.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('log crash safety', () => {
  it('keeps every acknowledged record across 50 SIGKILLs at random moments (half with the unsynced tail lost)', async () => {
    const dir = await makeTmpDir();
    const result = await runCrashCycles({ dir, cycles: 50, segmentBytesMax: 256 * 1024, verifyEvery: 10, powerLoss: true });
    expect(result.cycles).toBe(50);
    expect(result.acked).toBeGreaterThan(0);
    expect(result.records).toBeGreaterThanOrEqual(result.acked);
    // The simulated power cuts leave torn tails that open must have cut.
    expect(result.recoveries).toBeGreaterThan(0);
  }, 120_000);
});
