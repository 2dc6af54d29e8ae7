// The path pipeline against a small in-memory store over a real temp directory: retries when a file changes while
// it is read, retries a failed append, flush semantics, and move pairing across batches.
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskFullError, FileChangedError, IoError } from '../../../src/errors.js';
import type { EntryRecord, LogRecord } from '../../../src/record/index.js';
import type { StoredRecord } from '../../../src/store/types.js';
import { ChangePipeline, type PipelineRoot, type PipelineStore } from '../../../src/watcher/change-pipeline.js';
import type { WatcherChange } from '../../../src/watcher/events.js';
import { createExcludeMatcher } from '../../../src/watcher/excludes.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

function fakeStore(logDir: string, faults: { changedReads?: number; failedAppends?: number; readDelayMs?: number; slowReads?: Record<string, number>; diskFull?: boolean; appendCalls?: number } = {}) {
  const records: StoredRecord[] = [];
  const latest = new Map<string, StoredRecord<EntryRecord>>();
  const cache = new Map<string, unknown>();
  const store = {
    logDir,
    statCache: { get: () => undefined, contentIdOf: () => undefined, set: (r: string, p: string, _s: unknown, c: unknown) => cache.set(`${r}/${p}`, c), delete: () => {}, save: async () => {} },
    hasChunk: () => true,
    async ingestFile(path: string) {
      if ((faults.changedReads ?? 0) > 0) {
        faults.changedReads! -= 1;
        throw new FileChangedError(`${path} changed while it was read`, { path, reason: 'test' });
      }
      // A slow read stands in for a process starved of CPU or disk on a loaded machine.
      const delayMs = faults.slowReads?.[path.slice(path.lastIndexOf('/') + 1)] ?? faults.readDelayMs;
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const bytes = await readFile(path);
      const id = new Uint8Array(new Blake3Hasher().update(bytes).digestBuffer());
      return { contentId: id, chunks: bytes.length ? [{ id, size: bytes.length }] : [], size: bytes.length, newChunks: 1, newBytes: bytes.length, storedBytes: bytes.length, stat: { size: bytes.length, mtimeMs: 0, ctimeMs: 0, ino: 0 } };
    },
    async appendRecords(batch: LogRecord[]) {
      faults.appendCalls = (faults.appendCalls ?? 0) + 1;
      if (faults.diskFull) {
        throw new DiskFullError('the log\'s disk is full', { op: 'append', path: logDir, errno: 'ENOSPC', fix: 'free space' });
      }
      if ((faults.failedAppends ?? 0) > 0) {
        faults.failedAppends! -= 1;
        throw new IoError('disk full', { op: 'append', path: logDir, errno: 'ENOSPC' });
      }
      return batch.map((record) => {
        const stored = { record, seq: records.length, segment: 's', offset: 0 } as StoredRecord;
        records.push(stored);
        if (record.kind === 'version' || record.kind === 'delete') latest.set(`${record.root}/${record.path}`, stored as StoredRecord<EntryRecord>);
        return stored;
      });
    },
  };
  const catalog = { latest: (root: string, path: string) => latest.get(`${root}/${path}`) };
  // The watcher's LiveIndex answers this from its content index; here a walk over the live records does.
  const liveFilesWithContent = (root: string, contentIdHex: string, max: number) =>
    [...latest.values()]
      .map((s) => s.record)
      .filter((r) => r.kind === 'version' && r.type === 'file' && r.root === root && r.contentId && Buffer.from(r.contentId).toString('hex') === contentIdHex)
      .map((r) => r.path)
      .slice(0, max);
  const typed: PipelineStore = store;
  return { store: typed, catalog, records, liveFilesWithContent };
}

async function setup(faults?: Parameters<typeof fakeStore>[1], liveBelow: (root: string, dir: string) => string[] = () => [], renameWindowMs = 200) {
  const dir = await makeTmpDir();
  const fake = fakeStore(join(dir, 'log'), faults);
  const root: PipelineRoot = { name: 'r', path: dir, matcher: createExcludeMatcher(dir, join(dir, 'log'), []), failed: false };
  const changes: WatcherChange[] = [];
  const errors: Error[] = [];
  const fullDisk: { paths: number; fileBytes: number }[] = [];
  const resumed: number[] = [];
  const pipeline = new ChangePipeline(
    fake.store,
    { store: fake.store, catalog: fake.catalog, syncFileCalls: true },
    new Map([['r', root]]),
    {
      committed: (c) => changes.push(...c),
      error: (e) => errors.push(e),
      rootFailed: (_r, e) => errors.push(e),
      ownerOf: () => undefined,
      liveBelow,
      liveFilesWithContent: fake.liveFilesWithContent,
      diskFull: (e, waiting) => {
        errors.push(e);
        fullDisk.push(waiting);
      },
      resumed: (ms) => resumed.push(ms),
    },
    { debounceMs: 20, renameWindowMs, settleWaitMsMax: 500 },
  );
  return { dir, pipeline, changes, errors, records: fake.records, fullDisk, resumed };
}

describe('ChangePipeline', () => {
  it('retries a file that changed while it was read, and records it once it is stable', async () => {
    const { dir, pipeline, changes, errors } = await setup({ changedReads: 2 });
    await writeFile(join(dir, 'a.txt'), 'stable');
    pipeline.touch('r', 'a.txt');
    await pipeline.flush();
    expect(changes.map((c) => `${c.change} ${c.path}`)).toEqual(['created a.txt']);
    expect(errors).toEqual([]);
    expect(pipeline.counters.filesRead).toBe(1);
    pipeline.close();
  });

  it('reports a failed append and commits the batch on a later try', async () => {
    const { dir, pipeline, changes, errors } = await setup({ failedAppends: 1 });
    await writeFile(join(dir, 'b.txt'), 'b');
    pipeline.touch('r', 'b.txt');
    await pipeline.flush();
    expect(errors.map((e) => (e as IoError).details.errno)).toEqual(['ENOSPC']);
    expect(changes.map((c) => c.path)).toEqual(['b.txt']);
    pipeline.close();
  });

  it('keeps every path through a full disk that outlasts the retry limit, says so once, and records them when space returns', async () => {
    const faults: { diskFull?: boolean; appendCalls?: number } = { diskFull: true };
    const { dir, pipeline, changes, errors, fullDisk, resumed } = await setup(faults);
    for (const name of ['a.txt', 'b.txt', 'c.txt']) await writeFile(join(dir, name), `content of ${name}`);
    for (const name of ['a.txt', 'b.txt', 'c.txt']) pipeline.touch('r', name);
    // Full for longer than ingestRetriesMax retries with the per-path backoff take (~3 s): the old pipeline dropped them.
    await waitFor(() => (faults.appendCalls ?? 0) >= 3, 'three refused appends', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(changes).toEqual([]);
    expect(pipeline.pendingCount).toBe(3);
    expect(errors.filter((e) => e instanceof DiskFullError)).toHaveLength(1);
    expect(errors).toHaveLength(1);
    // Said once, counting what was waiting then: all three, or fewer when a loaded machine read them into
    // different batches (the rest joined the wait after the report).
    expect(fullDisk[0]!.paths).toBeGreaterThanOrEqual(1);
    expect(fullDisk[0]!.fileBytes).toBe(fullDisk[0]!.paths * 'content of a.txt'.length);
    faults.diskFull = false;
    await waitFor(() => changes.length === 3, 'all three recorded after space returned', 30_000);
    expect(changes.map((c) => c.path).sort()).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(resumed).toHaveLength(1);
    expect(pipeline.pendingCount).toBe(0);
    expect(pipeline.counters.notRecorded).toBe(0);
    pipeline.close();
  }, 60_000);

  it('a drain on a full disk lets the waiting paths go, counted as not recorded, instead of hanging', async () => {
    const faults = { diskFull: true };
    const { dir, pipeline, changes, errors } = await setup(faults);
    await writeFile(join(dir, 'a.txt'), 'a');
    await writeFile(join(dir, 'b.txt'), 'b');
    pipeline.touch('r', 'a.txt');
    pipeline.touch('r', 'b.txt');
    await pipeline.drain();
    expect(changes).toEqual([]);
    expect(pipeline.counters.notRecorded).toBe(2);
    expect(errors.filter((e) => e instanceof DiskFullError)).toHaveLength(1);
    pipeline.close();
  }, 60_000);

  it('records a new folder in the same append as, and ahead of, a child whose batch comes first', async () => {
    const faults: { appendCalls?: number } = {};
    const { dir, pipeline, records } = await setup(faults);
    await mkdir(join(dir, 'new', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'new', 'deeper', 'a.txt'), 'a');
    // Only the child's event: the folders' own events are lost, or wait in a later batch.
    pipeline.touch('r', 'new/deeper/a.txt');
    await pipeline.drain();
    expect(faults.appendCalls).toBe(1);
    expect(records.map((r) => [r.record.kind, (r.record as EntryRecord).path, (r.record as EntryRecord).type])).toEqual([
      ['version', 'new', 'dir'],
      ['version', 'new/deeper', 'dir'],
      ['version', 'new/deeper/a.txt', 'file'],
    ]);
    // Their events arriving later change nothing: the folders are in the log.
    pipeline.touch('r', 'new');
    pipeline.touch('r', 'new/deeper');
    await pipeline.drain();
    expect(records).toHaveLength(3);
    pipeline.close();
  });

  it('flush waits for debounced paths; drain skips the debounce', async () => {
    const { dir, pipeline, changes } = await setup();
    await writeFile(join(dir, 'c.txt'), 'c');
    pipeline.touch('r', 'c.txt');
    expect(pipeline.pendingCount).toBe(1);
    await pipeline.flush();
    expect(changes).toHaveLength(1);
    expect(pipeline.pendingCount).toBe(0);
    await writeFile(join(dir, 'd.txt'), 'd');
    pipeline.touch('r', 'd.txt');
    await pipeline.drain();
    expect(changes.map((c) => c.path)).toEqual(['c.txt', 'd.txt']);
    pipeline.close();
  });

  it('pairs a delete held from one batch with the add of a later batch', async () => {
    const { dir, pipeline, changes, records } = await setup();
    await writeFile(join(dir, 'old.txt'), 'moving');
    pipeline.touch('r', 'old.txt');
    await pipeline.flush();
    await rename(join(dir, 'old.txt'), join(dir, 'new.txt'));
    pipeline.touch('r', 'old.txt');
    await new Promise((resolve) => setTimeout(resolve, 60)); // old.txt is reconciled and held alone
    pipeline.touch('r', 'new.txt');
    await waitFor(() => changes.length === 2, 'the move');
    expect(changes[1]).toMatchObject({ change: 'renamed', path: 'new.txt', renamedFrom: 'old.txt' });
    expect(records.map((r) => r.record.kind)).toEqual(['version', 'delete', 'version']);
    pipeline.close();
  });

  it('pairs a held delete with an add whose read outlasts the rename window (a starved process)', async () => {
    const faults = { readDelayMs: 0 };
    const { dir, pipeline, changes, records } = await setup(faults);
    await writeFile(join(dir, 'old.txt'), 'moving slowly');
    pipeline.touch('r', 'old.txt');
    await pipeline.flush();
    await rename(join(dir, 'old.txt'), join(dir, 'new.txt'));
    pipeline.touch('r', 'old.txt');
    await new Promise((resolve) => setTimeout(resolve, 60)); // old.txt is reconciled and held alone
    faults.readDelayMs = 600; // new.txt is read for three rename windows
    pipeline.touch('r', 'new.txt');
    await pipeline.flush();
    expect(changes.map((c) => `${c.change} ${c.renamedFrom ?? ''} ${c.path}`)).toEqual(['created  old.txt', 'renamed old.txt new.txt']);
    expect(records.map((r) => r.record.kind)).toEqual(['version', 'delete', 'version']);
    pipeline.close();
  });

  it('pairs a move whose new name is read and committed before anything is seen for the old name', async () => {
    const { dir, pipeline, changes, records } = await setup();
    await writeFile(join(dir, 'old.txt'), 'moving ahead of its event');
    pipeline.touch('r', 'old.txt');
    await pipeline.flush();
    await rename(join(dir, 'old.txt'), join(dir, 'new.txt'));
    // A loaded machine delivered the new name's event first, and far enough ahead that its batch committed alone.
    pipeline.touch('r', 'new.txt');
    await pipeline.flush();
    expect(changes.map((c) => `${c.change} ${c.renamedFrom ?? ''} ${c.path}`)).toEqual(['created  old.txt', 'renamed old.txt new.txt']);
    // The old name's event, late: nothing more to record.
    pipeline.touch('r', 'old.txt');
    await pipeline.flush();
    expect(records.map((r) => r.record.kind)).toEqual(['version', 'delete', 'version']);
    pipeline.close();
  });

  it('pairs a move whose old name is in a later batch, still in flight when the new name commits', async () => {
    const faults = { slowReads: { 'new.txt': 300, 'slow.txt': 1500 } };
    const { dir, pipeline, changes, records } = await setup(faults, () => [], 5_000);
    await writeFile(join(dir, 'old.txt'), 'moving while another batch holds the old name');
    pipeline.touch('r', 'old.txt');
    await pipeline.flush();
    await rename(join(dir, 'old.txt'), join(dir, 'new.txt'));
    await writeFile(join(dir, 'slow.txt'), 'keeps the second batch in flight');
    pipeline.enqueueNow('r', 'new.txt');
    await new Promise((resolve) => setTimeout(resolve, 50));
    pipeline.enqueueNow('r', 'old.txt');
    pipeline.enqueueNow('r', 'slow.txt');
    await pipeline.flush();
    expect(changes.map((c) => `${c.change} ${c.renamedFrom ?? ''} ${c.path}`).sort()).toEqual(['created  old.txt', 'created  slow.txt', 'renamed old.txt new.txt']);
    expect(records.filter((r) => r.record.kind === 'delete')).toHaveLength(1);
    pipeline.close();
  });

  it('records a copy as created: the file with the same content is still there', async () => {
    const { dir, pipeline, changes } = await setup();
    await writeFile(join(dir, 'a.txt'), 'same bytes');
    pipeline.touch('r', 'a.txt');
    await pipeline.flush();
    await writeFile(join(dir, 'b.txt'), 'same bytes');
    pipeline.touch('r', 'b.txt');
    await pipeline.flush();
    expect(changes.map((c) => `${c.change} ${c.renamedFrom ?? ''} ${c.path}`)).toEqual(['created  a.txt', 'created  b.txt']);
    pipeline.close();
  });

  it('pairs a folder moved whole even when no event ever names the new paths below it', async () => {
    // The live index the watcher keeps, from the pipeline's own commits.
    const live = new Set<string>();
    const below = (_root: string, d: string) => [...live].filter((p) => p.startsWith(`${d}/`));
    // A rename window far above the suite's 200 ms: on a loaded machine the new top directory's reconcile can land
    // in a later batch than the old paths' deletes, and pairing across batches is what this test is about.
    const { dir, pipeline, changes } = await setup({}, below, 3_000);
    await mkdir(join(dir, 'src', 'deep'), { recursive: true });
    await writeFile(join(dir, 'src', 'a.txt'), 'alpha');
    await writeFile(join(dir, 'src', 'deep', 'b.txt'), 'beta');
    for (const p of ['src', 'src/a.txt', 'src/deep', 'src/deep/b.txt']) pipeline.touch('r', p);
    await pipeline.flush();
    for (const c of changes) live.add(c.path);
    await rename(join(dir, 'src'), join(dir, 'lib'));
    // Only the old paths and the new top directory have events (the source had not listed lib/ yet).
    for (const p of ['src', 'src/a.txt', 'src/deep', 'src/deep/b.txt', 'lib']) pipeline.touch('r', p);
    await pipeline.flush();
    expect(changes.slice(4).map((c) => `${c.change} ${c.renamedFrom} → ${c.path}`).sort()).toEqual([
      'renamed src → lib',
      'renamed src/a.txt → lib/a.txt',
      'renamed src/deep → lib/deep',
      'renamed src/deep/b.txt → lib/deep/b.txt',
    ]);
    pipeline.close();
  });

  it('a held delete with no matching add becomes a tombstone after the rename window', async () => {
    const { dir, pipeline, changes } = await setup();
    await writeFile(join(dir, 'gone.txt'), 'bye');
    pipeline.touch('r', 'gone.txt');
    await pipeline.flush();
    await rm(join(dir, 'gone.txt'));
    pipeline.touch('r', 'gone.txt');
    await pipeline.flush();
    expect(changes.map((c) => `${c.change} ${c.path}`)).toEqual(['created gone.txt', 'deleted gone.txt']);
    pipeline.close();
  });
});
