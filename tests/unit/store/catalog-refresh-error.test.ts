// A refresh that meets damage must reject with the typed error — and only through its own promise: the explorer
// polls refresh(), and an unhandled rejection there used to crash it with a stack trace.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../src/errors.js';
import { newVersionId, type VersionRecord } from '../../../src/record/index.js';
import { openStore } from '../../../src/store/index.js';
import type { LogPath } from '../../../src/util/log-path.js';
import { fileSize, flipByte } from '../../helpers/corrupt.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

function dirVersion(path: string): VersionRecord {
  const time = Date.now();
  return { kind: 'version', versionId: newVersionId(time), time, root: 'r', path: path as LogPath, type: 'dir', event: 'created', size: 0, mtimeMs: time, mode: 0o755, uid: 0, gid: 0 };
}

describe('catalog.refresh on a damaged log', () => {
  it('rejects with CorruptionError through its own promise, with no unhandled rejection', async () => {
    const logDir = join(await makeTmpDir(), 'log');
    const writer = await openStore(logDir, { workers: 1 });
    await writer.appendRecords([dirVersion('a')]);
    const reader = await openStore(logDir, { readOnly: true, workers: 1 });
    const catalog = await reader.catalog();
    expect(catalog.paths().map((p) => p.display)).toEqual(['r/a']);

    const segment = join(logDir, (await readdir(logDir)).find((n) => n.endsWith('.seg'))!);
    const before = await fileSize(segment);
    await writer.appendRecords([dirVersion('b')]);
    await writer.appendRecords([dirVersion('c')]);
    await flipByte(segment, before + 20); // inside record 'b', with 'c' after it: mid-log damage

    let unhandled: unknown;
    const onUnhandled = (reason: unknown) => (unhandled = reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(catalog.refresh()).rejects.toBeInstanceOf(CorruptionError);
      await expect(catalog.refresh()).rejects.toBeInstanceOf(CorruptionError);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toBeUndefined();
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await reader.close();
      await writer.close();
    }
  });
});
