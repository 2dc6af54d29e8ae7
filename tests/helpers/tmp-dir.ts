// A fresh temporary directory, removed afterwards (kept when SYNCLOG_KEEP_TMP is set, or made by a test that failed): one made inside
// a test goes after that test; one made in beforeAll (or at file level) goes after the file's last test, not after
// its first, so a fixture shared by a describe block lives as long as the block.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';

const madeInTest: string[] = [];
const madeForFile: string[] = [];

export async function makeTmpDir(prefix = 'synclog-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  (expect.getState().currentTestName === undefined ? madeForFile : madeInTest).push(dir);
  return dir;
}

async function removeAll(dirs: string[]): Promise<void> {
  if (process.env.SYNCLOG_KEEP_TMP) return;
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

// A failed test's directories are kept and named, so what it left (logs, trees, cursors) can be looked at.
afterEach((context) => {
  if (context.task.result?.state === 'fail') {
    for (const dir of madeInTest.splice(0)) process.stderr.write(`kept the failed test's directory ${dir}\n`);
    return;
  }
  return removeAll(madeInTest);
});
afterAll(() => removeAll(madeForFile));
