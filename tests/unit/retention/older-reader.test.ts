// A synclog that reads only format versions 1 and 2 (0.2) meets a log that was forgotten in or pruned: it must
// refuse it by version (FormatVersionError, found 3), never call it corruption. Simulated by loading the log layer
// with format.js's readable list set to 0.2's.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { Log } from '../../../src/log/index.js';
import { forgetVersions } from '../../../src/retention/index.js';
import { buildRetentionLog } from '../../helpers/retention-log.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

afterEach(() => {
  vi.doUnmock('../../../src/log/format.js');
  vi.resetModules();
});

describe('an older synclog refuses a forgotten log by version', () => {
  it('FormatVersionError { found: 3, supported: [1, 2] } for readers and writers', async () => {
    const dir = join(await makeTmpDir(), 'log');
    await buildRetentionLog(dir, { paths: 1, versions: 3, bytes: 100 });
    const log = await Log.open(dir);
    const report = await forgetVersions(log, { policy: { keepLast: 1 }, policyText: '--keep-last 1' });
    await log.close();
    expect(report.forgotten.length).toBe(2);

    vi.resetModules();
    vi.doMock('../../../src/log/format.js', async (importOriginal) => ({
      ...(await importOriginal<typeof import('../../../src/log/format.js')>()),
      FORMAT_VERSIONS_READABLE: [1, 2],
    }));
    const older = await import('../../../src/log/index.js');
    const errors = await import('../../../src/errors.js');
    await (await import('../../../src/log/checksum.js')).initChecksum();
    await expect(older.Log.open(dir, { readOnly: true })).rejects.toBeInstanceOf(errors.FormatVersionError);
    await expect(older.Log.open(dir, { readOnly: true })).rejects.toMatchObject({ details: { found: 3, supported: [1, 2] } });
    await expect(older.Log.open(dir)).rejects.toBeInstanceOf(errors.FormatVersionError);
  });
});
