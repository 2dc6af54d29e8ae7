// An older synclog (one whose FORMAT_VERSIONS_READABLE is [1]) meets a log this one wrote: it must refuse it by
// version (FormatVersionError), never call it corruption. Simulated by loading the log layer with format.js's
// readable list set to what version 1 had.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FormatVersionError } from '../../../src/errors.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

afterEach(() => {
  vi.doUnmock('../../../src/log/format.js');
  vi.resetModules();
});

describe('an older synclog refuses a v2 log by version', () => {
  it('opening as reader and as writer gives FormatVersionError (found 2, supported [1])', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const current = await import('../../../src/log/index.js');
    const { initChecksum } = await import('../../../src/log/checksum.js');
    await initChecksum();
    const log = await current.Log.open(logDir);
    await log.append({ tag: 4, payload: new Uint8Array([1, 2, 3]) });
    await log.close();

    vi.resetModules();
    vi.doMock('../../../src/log/format.js', async (importOriginal) => ({
      ...(await importOriginal<typeof import('../../../src/log/format.js')>()),
      FORMAT_VERSION: 1,
      FORMAT_VERSIONS_READABLE: [1],
    }));
    const older = await import('../../../src/log/index.js');
    const errors = await import('../../../src/errors.js');
    await (await import('../../../src/log/checksum.js')).initChecksum();
    await expect(older.Log.open(logDir, { readOnly: true })).rejects.toBeInstanceOf(errors.FormatVersionError);
    await expect(older.Log.open(logDir)).rejects.toBeInstanceOf(errors.FormatVersionError);
    await expect(older.Log.open(logDir, { readOnly: true })).rejects.toMatchObject({ details: { found: 2, supported: [1] } });
    expect(errors.FormatVersionError).not.toBe(FormatVersionError); // the older copy of the modules was the one used
  });
});
