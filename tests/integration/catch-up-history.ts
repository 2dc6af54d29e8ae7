// A long history for the catch-up tests (integration, e2e, fault): files overwritten many times, files created and
// deleted, a rename chain, a folder deleted whole and re-created, a file -> folder -> file change, a link retargeted.
// Recorded as the watcher would (LogBuilder), so a receiver's destination can be compared with the source.
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogBuilder } from './receiver-log-builder.js';

function content(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface CatchUpHistory {
  /** Version and delete records in the log. */
  records: number;
  /** Files in the final tree (what a catch-up that skips the past writes). */
  survivingFiles: number;
  /** File versions in the log (what a replay of every record writes). */
  fileVersions: number;
}

/** Builds the history into `logDir` from `source` (the tree's root folder, created here). */
export async function buildCatchUpHistory(source: string, logDir: string, options: { files?: number; rounds?: number; fileBytes?: number } = {}): Promise<CatchUpHistory> {
  const files = options.files ?? 20;
  const rounds = options.rounds ?? 10;
  const fileBytes = options.fileBytes ?? 20_000;
  const log = await LogBuilder.open(logDir, source, { segmentBytesMax: 4 * 1024 * 1024 });
  let records = 0;
  let fileVersions = 0;
  const record = async (...rels: string[]) => {
    await log.record(...rels);
    records += rels.length;
  };
  try {
    await mkdir(join(source, 'lib'), { recursive: true });
    await record('lib');
    for (let round = 0; round < rounds; round++) {
      // Every file rewritten each round (a release), one scratch file created and deleted.
      for (let i = 0; i < files; i++) await writeFile(join(source, 'lib', `f${i}.js`), content(fileBytes + round, round * 1000 + i));
      await record(...Array.from({ length: files }, (_, i) => `lib/f${i}.js`));
      fileVersions += files;
      await writeFile(join(source, `scratch-${round}.tmp`), content(5000, round));
      await record(`scratch-${round}.tmp`);
      await rm(join(source, `scratch-${round}.tmp`));
      await record(`scratch-${round}.tmp`);
      fileVersions++;
    }
    // A rename chain a -> b -> c.
    await writeFile(join(source, 'a.txt'), 'renamed twice\n');
    await record('a.txt');
    await rename(join(source, 'a.txt'), join(source, 'b.txt'));
    await log.recordRename('a.txt', 'b.txt');
    await rename(join(source, 'b.txt'), join(source, 'c.txt'));
    await log.recordRename('b.txt', 'c.txt');
    records += 4;
    fileVersions += 3;
    // A folder deleted whole (only the folder's delete), then re-created with other content.
    await mkdir(join(source, 'old/sub'), { recursive: true });
    await writeFile(join(source, 'old/sub/x.bin'), content(30_000, 7));
    await writeFile(join(source, 'old/y.bin'), content(30_000, 8));
    await record('old', 'old/sub', 'old/sub/x.bin', 'old/y.bin');
    fileVersions += 2;
    await rm(join(source, 'old'), { recursive: true });
    await log.store.appendRecords([log.deleteOf('old', 'dir')]);
    await mkdir(join(source, 'old'));
    await writeFile(join(source, 'old/new.bin'), content(1000, 9));
    await record('old', 'old/new.bin');
    records += 1;
    fileVersions++;
    // file -> folder -> file at one path.
    await writeFile(join(source, 'morph'), 'a file first\n');
    await record('morph');
    await rm(join(source, 'morph'));
    await mkdir(join(source, 'morph'));
    await writeFile(join(source, 'morph/inside'), 'then a folder\n');
    await record('morph', 'morph/inside');
    await rm(join(source, 'morph'), { recursive: true });
    await writeFile(join(source, 'morph'), 'a file again\n');
    await record('morph');
    fileVersions += 3;
    // A link, retargeted.
    await symlink('lib/f0.js', join(source, 'link'));
    await record('link');
    await rm(join(source, 'link'));
    await symlink('lib/f1.js', join(source, 'link'));
    await record('link');
  } finally {
    await log.close();
  }
  // lib/f*.js, c.txt, old/new.bin, morph
  return { records, survivingFiles: files + 3, fileVersions };
}
