// Fault model: the writer process is SIGKILLed after an ingest appended a file's chunks but before the caller
// appended its version record (the commit point), while more appends may be in flight. What must survive: every
// committed version reads back (versions 1 and 2 are appended right after their ingest, with no flush between: a
// durable version implies durable chunks); the log reopens (a torn tail is cut and reported, not an error); verify is ok and
// counts the orphaned chunks as unreferenced, never as errors or missing chunks.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VersionRecord } from '../../src/record/index.js';
import { openStore } from '../../src/store/index.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { childExit, collect, spawnTsChild } from '../unit/store/store-fixtures.js';

const CHILD = `
import { openStore } from STORE;
import { newVersionId } from ${JSON.stringify(join(REPO_ROOT, 'src/record/index.ts'))};
const [logDir] = process.argv.slice(2);
const store = await openStore(logDir, { workers: 1 });
function content(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
  return out;
}
for (let i = 1; ; i++) {
  const data = content(i, 3 * 1024 * 1024);
  const ingested = await store.ingestStream((async function* () { yield data; })());
  if (i === 3) {
    // An ingest resolves once its chunks are queued in log order; flush() makes them durable (a version appended
    // after them would too). The chunks are in the log, the version is not: tell the parent, then keep appending.
    await store.flush();
    process.stdout.write('orphaned ' + ingested.chunks.length + '\\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (i >= 3) continue;
  const now = Date.now();
  await store.appendRecords([{ kind: 'version', versionId: newVersionId(now), time: now, root: 'r', path: 'f' + i, type: 'file',
    event: 'created', size: ingested.size, mtimeMs: now, mode: 420, uid: 0, gid: 0, contentId: ingested.contentId, chunks: ingested.chunks }]);
  process.stdout.write('committed ' + i + '\\n');
}
`;

describe('SIGKILL mid-ingest', () => {
  it('leaves only unreferenced chunks, which verify counts but does not call errors', async () => {
    const dir = await makeTmpDir();
    const logDir = join(dir, 'log');
    const child = spawnTsChild(dir, 'writer', CHILD, [logDir]);
    const exit = childExit(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('orphaned')) resolve();
      });
      child.on('close', () => reject(new Error(`child ended early: ${out}`)));
    });
    child.kill('SIGKILL');
    const result = await exit;
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toMatch(/committed 1\ncommitted 2\norphaned \d+/);

    const store = await openStore(logDir, { workers: 0 });
    try {
      const report = await store.verify();
      expect(report.errors).toEqual([]);
      expect(report.missingChunks).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.versions).toBe(2);
      expect(report.unreferencedChunks).toBeGreaterThanOrEqual(Number(/orphaned (\d+)/.exec(result.stdout)![1]));
      const catalog = await store.catalog();
      for (const [i, seed] of [[1, 1], [2, 2]] as const) {
        const version = catalog.latest('r', `f${i}`)!.record as VersionRecord;
        const expected = Buffer.from(contentOf(seed, 3 * 1024 * 1024));
        expect((await collect(store.readContent(version.chunks!))).equals(expected)).toBe(true);
      }
    } finally {
      await store.close();
    }
  });
});

function contentOf(seed: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
