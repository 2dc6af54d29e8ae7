// A large file is stored and read back byte-identical while the process's peak RSS stays under 300 MiB: the store
// streams (a file is never held whole). Runs in a child process so the RSS is the store's own, using the built
// store (dist/, as a user runs it: `npm test` builds first) from a plain-JavaScript child, because a TypeScript
// loader in the process and in every worker thread alone costs ~35 MiB each. The suite uses 256 MiB to stay within its time budget on 2 cores (~15 s here); `npm run stress`
// (stress/store-large-file.ts) runs the same child with 1 GiB.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { spawn } from 'node:child_process';
import { childExit } from '../unit/store/store-fixtures.js';

const RSS_MAX_BYTES = 300 * 1024 * 1024;

describe('large file', () => {
  it('stores 256 MiB and reads it back identical with peak RSS under 300 MiB', async () => {
    expect(existsSync(join(REPO_ROOT, 'dist/store/index.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    const dir = await makeTmpDir();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'tests/helpers/large-file-child.mjs'), dir, String(256 * 1024 * 1024)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await childExit(child);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.trim());
    expect(report.readBytes).toBe(report.bytes);
    expect(report.contentId).toBe(report.sourceHash);
    expect(report.readHash).toBe(report.sourceHash);
    expect(report.chunks).toBeGreaterThan(256 * 1024 * 1024 / (256 * 1024));
    expect(report.peakRssBytes).toBeLessThan(RSS_MAX_BYTES);
    if (report.vmHwmBytes !== undefined) expect(report.vmHwmBytes).toBeLessThan(RSS_MAX_BYTES);
  }, 120_000);
});
