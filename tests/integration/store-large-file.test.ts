// A large file is stored and read back byte-identical while the process's peak RSS stays under 300 MiB: the store
// streams (a file is never held whole). Runs in a child process so the RSS is the store's own, using the built
// store (dist/, as a user runs it: `npm test` builds first) from a plain-JavaScript child, because a TypeScript
// loader in the process and in every worker thread alone costs ~35 MiB each. The file is written by another child
// first, so the figure is the store's and not the test data generator's. The suite uses 256 MiB to stay within its
// time budget on 2 cores (~15 s here); `npm run stress` (stress/store-large-file.ts) runs the same steps with 1 GiB.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LARGE_FILE_RSS_MAX_BYTES, runLargeFileCheck } from '../helpers/large-file.js';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('large file', () => {
  it('stores 256 MiB and reads it back identical with peak RSS under 300 MiB', async () => {
    expect(existsSync(join(REPO_ROOT, 'dist/store/index.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    const bytes = 256 * 1024 * 1024;
    const report = await runLargeFileCheck(await makeTmpDir(), bytes);
    expect(report.bytes).toBe(bytes);
    expect(report.readBytes).toBe(bytes);
    expect(report.contentId).toBe(report.sourceHash);
    expect(report.readHash).toBe(report.sourceHash);
    expect(report.chunks).toBeGreaterThan(bytes / (256 * 1024));
    expect(report.peakRssBytes).toBeLessThan(LARGE_FILE_RSS_MAX_BYTES);
    if (report.vmHwmBytes !== undefined) expect(report.vmHwmBytes).toBeLessThan(LARGE_FILE_RSS_MAX_BYTES);
  }, 120_000);
});
