// A fresh temporary directory per test, removed afterwards (kept when SYNCLOG_KEEP_TMP is set, for debugging).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];

export async function makeTmpDir(prefix = 'synclog-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  if (process.env.SYNCLOG_KEEP_TMP) return;
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
