// `synclog run` with `serve.retain`: the service's server runs forget + prune in its own writer at start (and on
// schedule), says so in its log, and a clean stop leaves exactly the versions the policy keeps, verified.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { visibleVersions } from '../helpers/retention-check.js';
import { buildRetentionLog } from '../helpers/retention-log.js';
import { exited, runCli, spawnCli, waitForStderrLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('synclog run with serve.retain', () => {
  it('prunes to the policy at start and stops cleanly', { timeout: 120_000 }, async () => {
    const work = await makeTmpDir();
    const log = join(work, 'log');
    const built = await buildRetentionLog(log, { paths: 2, versions: 4, bytes: 32 * 1024 });
    const config = join(work, 'synclog.toml');
    await writeFile(config, `log = "log"\n[serve]\nlisten = "127.0.0.1:0"\naccept_push = true\nappend_only = true\nretain = "keep-last=2"\nretain_every = "1h"\n`);
    const run = spawnCli(['run', '--config', config]);
    try {
      const line = await waitForStderrLine(run, /retention: forgot/, 60_000);
      expect(line).toMatch(/forgot 4 version\(s\), kept 4 over 2 path\(s\); pruned 4 version/);
    } finally {
      run.kill('SIGTERM');
    }
    expect(await exited(run)).toBe(0);
    expect(await visibleVersions(log)).toEqual(built.slice(4).map((v) => v.versionId).sort());
    expect((await runCli(['verify', '--log', log])).code).toBe(0);
  });
});
