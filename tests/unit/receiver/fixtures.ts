// Shared fixtures for the receiver's unit tests: one receive run, and the scripted series of changes.
import { ReceiverSession } from '../../../src/receiver/receiver-session.js';
import type { ReceiverMode, ReceiverSummary } from '../../../src/receiver/types.js';
import { BASE_TIME_MS, MemoryLog } from './memory-log.js';

export const LOG_DIR = '/nonexistent/test-log';
export const STATE = ['.synclog-receiver', '.versions'];

export async function receive(log: MemoryLog, outputPath: string, mode: ReceiverMode = 'latest', concurrency = 8): Promise<ReceiverSummary> {
  const session = await ReceiverSession.open({ source: log, outputPath, logDir: LOG_DIR, mode, concurrency, emit: () => {}, reportsChanges: () => true });
  try {
    return await session.run({ follow: false });
  } finally {
    await session.close();
  }
}

/** The scripted series of changes every mode must get right. */
export function scriptedChanges(log: MemoryLog): void {
  log.dir('docs', 'notes', { mode: 0o750 });
  log.file('docs', 'notes/a.txt', 'alpha\n', { mode: 0o600, mtimeMs: BASE_TIME_MS - 86_400_000 });
  log.file('docs', 'notes/b.txt', 'bravo\n');
  log.file('docs', 'run.sh', '#!/bin/sh\necho hi\n', { mode: 0o755 });
  log.file('docs', 'notes/a.txt', 'alpha, modified\n', { event: 'modified', mode: 0o640 });
  log.remove('docs', 'notes/b.txt');
  log.rename('docs', 'run.sh', 'bin-run.sh', '#!/bin/sh\necho hi\n', 0o755);
  log.dir('docs', 'empty');
  log.dir('docs', 'deep');
  log.dir('docs', 'deep/er');
  log.file('docs', 'deep/er/c.bin', new Uint8Array(20_000).map((_, i) => i % 251));
  log.remove('docs', 'deep/er/c.bin');
  log.remove('docs', 'deep/er', 'dir');
  log.dir('docs', 'moved');
  log.file('docs', 'moved/c.bin', new Uint8Array(20_000).map((_, i) => i % 251), { event: 'renamed', renamedFrom: 'deep/er/c.bin' });
  log.symlink('docs', 'link-to-a', 'notes/a.txt');
  log.symlink('docs', 'link-out', '/usr/bin/env');
  log.symlink('docs', 'link-up', '../../../etc/passwd');
  log.file('photos', 'x.jpg', 'jpeg bytes');
}

