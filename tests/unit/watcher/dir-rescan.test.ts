// The safety-net listing of active directories (dir-rescan.ts): a name on disk the log does not have is handed to
// the pipeline after the debounce; a big directory (bigDirEntriesMin names or more) is listed again only after
// bigDirRelistMs however often it is touched, except when stopping (drain lists it at once).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PipelineRoot } from '../../../src/watcher/change-pipeline.js';
import { DirRescanner } from '../../../src/watcher/dir-rescan.js';
import { createExcludeMatcher } from '../../../src/watcher/excludes.js';
import { WATCH_LIMITS } from '../../../src/util/limits.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

async function setup(files: number) {
  const dir = await makeTmpDir();
  const data = join(dir, 'data');
  await mkdir(data);
  await Promise.all(Array.from({ length: files }, (_, i) => writeFile(join(data, `f${i}`), '')));
  const root: PipelineRoot = { name: 'r', path: data, matcher: createExcludeMatcher(data, join(dir, 'log'), []), failed: false };
  const live = new Set<string>();
  const touched: string[] = [];
  const rescanner = new DirRescanner(
    {
      roots: new Map([['r', root]]),
      isLive: (_r, path) => live.has(path),
      isPending: () => false,
      liveChildren: () => [],
      touch: (_r, path) => touched.push(path),
    },
    { debounceMs: 10, settleWaitMsMax: 50 },
  );
  return { data, live, touched, rescanner };
}

async function listed(rescanner: DirRescanner): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 80));
  await rescanner.idle();
}

describe('DirRescanner', () => {
  it('hands over names the log does not have, each time a small directory goes quiet', async () => {
    const { data, live, touched, rescanner } = await setup(3);
    try {
      rescanner.touch('r', '');
      await listed(rescanner);
      expect(touched.sort()).toEqual(['f0', 'f1', 'f2']);
      for (const name of touched.splice(0)) live.add(name);
      await writeFile(join(data, 'late'), '');
      rescanner.touch('r', '');
      await listed(rescanner);
      expect(touched).toEqual(['late']);
    } finally {
      rescanner.close();
    }
  });

  it('lists a big directory again only after its turn, and at once on drain', async () => {
    const { data, live, touched, rescanner } = await setup(WATCH_LIMITS.bigDirEntriesMin);
    try {
      rescanner.touch('r', '');
      await listed(rescanner);
      expect(touched).toHaveLength(WATCH_LIMITS.bigDirEntriesMin);
      for (const name of touched.splice(0)) live.add(name);
      await writeFile(join(data, 'late'), '');
      rescanner.touch('r', '');
      await listed(rescanner);
      expect(touched).toEqual([]); // held back: listed at most every bigDirRelistMs
      await rescanner.drain();
      expect(touched).toEqual(['late']);
    } finally {
      rescanner.close();
    }
  });

  it('never holds back a new directory', async () => {
    const { data, live, touched, rescanner } = await setup(WATCH_LIMITS.bigDirEntriesMin);
    try {
      rescanner.touch('r', '');
      await listed(rescanner);
      for (const name of touched.splice(0)) live.add(name);
      await writeFile(join(data, 'late'), '');
      rescanner.touchNew('r', '');
      await listed(rescanner);
      expect(touched).toContain('late');
    } finally {
      rescanner.close();
    }
  });
});
