// A snapshot log of a small tree with one chunk record damaged on disk (issue 13 item 5 tests): several small files
// and one file of several chunks; one byte is flipped inside the payload of one of the big file's chunk records.
// Two shapes: 'frame' (the frame checksum fails: the log reader sees it and a skipDamaged read passes it over) and
// 'content' (the frame checksum is written again, so the frame verifies and only the chunk's content hash fails).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { AppendOnlyLogWatcher } from '../../src/watcher/index.js';
import { flipByte, flipByteResealed } from './corrupt.js';
import { makeTmpDir } from './tmp-dir.js';

export interface DamagedStoreFixture {
  root: string;
  logDir: string;
  /** Relative path → content of every file in the tree. */
  files: Map<string, Buffer>;
  /** The file whose chunk was damaged. */
  victim: string;
  /** Version id of the victim's version. */
  victimVersionId: string;
  /** Where the flipped chunk record is. */
  damagedAt: { segment: string; offset: number; seq: number };
}

/** Records `root` into `logDir` in-process (the default; e2e tests pass a `synclog snapshot` run instead). */
async function snapshotInProcess(root: string, logDir: string): Promise<void> {
  const watcher = new AppendOnlyLogWatcher({ watchPaths: [root], logPath: logDir });
  try {
    await watcher.start({ live: false });
  } finally {
    await watcher.stop();
  }
}

export type DamageShape = 'frame' | 'content';

export async function makeDamagedStore(
  snapshot: (root: string, logDir: string) => Promise<void> = snapshotInProcess,
  shape: DamageShape = 'frame',
): Promise<DamagedStoreFixture> {
  const base = await makeTmpDir();
  const root = join(base, 'tree');
  const logDir = join(base, 'log');
  await mkdir(join(root, 'sub'), { recursive: true });
  const files = new Map<string, Buffer>([
    ['a.txt', Buffer.from('alpha\n')],
    ['b.txt', Buffer.from('bravo bravo\n')],
    ['sub/c.txt', Buffer.from('charlie\n')],
    ['big.bin', randomBytes(3 * 1024 * 1024)],
    ['sub/other.bin', randomBytes(2 * 1024 * 1024)],
  ]);
  for (const [path, data] of files) await writeFile(join(root, path), data);
  await snapshot(root, logDir);
  const victim = 'big.bin';
  const store = await openStore(logDir, { readOnly: true, workers: 0 });
  try {
    const chunkAt = new Map<string, { segment: string; offset: number; seq: number }>();
    let found: { versionId: string; chunk: string } | undefined;
    for await (const stored of store.entries({ kinds: ['chunk', 'version'] })) {
      const r = stored.record;
      if (r.kind === 'chunk') chunkAt.set(Buffer.from(r.id).toString('hex'), { segment: stored.segment, offset: stored.offset, seq: stored.seq });
      if (r.kind === 'version' && r.path === victim) {
        if ((r.chunks ?? []).length < 2) throw new Error('fixture: the big file should have several chunks');
        found = { versionId: r.versionId, chunk: Buffer.from(r.chunks![1]!.id).toString('hex') };
      }
    }
    if (!found) throw new Error('fixture: no version of the big file');
    const damagedAt = chunkAt.get(found.chunk)!;
    // Deep inside the payload (the chunk's data, stored raw: random bytes do not compress): the length field stays
    // intact; the frame checksum fails, or (content) is rewritten to match so only the content hash fails.
    const segmentPath = join(logDir, damagedAt.segment);
    if (shape === 'frame') await flipByte(segmentPath, damagedAt.offset + 200, 0x01);
    else await flipByteResealed(segmentPath, damagedAt.offset, damagedAt.offset + 200, 0x01);
    return { root, logDir, files, victim, victimVersionId: found.versionId, damagedAt };
  } finally {
    await store.close();
  }
}
