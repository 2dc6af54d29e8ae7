// The sync applier against a real store and folder: a folder move whose entries do not all arrive at the new path
// with what this node holds waits FOLDER_MOVE_WAIT_MS, then the folder is made and each entry follows by its own
// record. Before the fix the wait was restarted at every retry (the check of the paths under the move cleared it
// first), so the folder stayed at its old path for ever (found by sync-random under CI load).
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newVersionId, type DeleteRecord, type EntryRecord, type VersionRecord } from '../../../src/record/index.js';
import { openStore, type StoredRecord } from '../../../src/store/index.js';
import { Applier } from '../../../src/sync/applier.js';
import { SyncState } from '../../../src/sync/sync-state.js';
import type { LogPath } from '../../../src/util/log-path.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const NODE = '0-aaaa111100000000';

function dir(path: string, renamedFrom?: string): VersionRecord {
  const record: VersionRecord = {
    kind: 'version', versionId: newVersionId(), time: Date.now(), root: 'r', path: path as LogPath, type: 'dir',
    event: renamedFrom ? 'renamed' : 'created', size: 0, mtimeMs: Date.now(), mode: 0o755, uid: 0, gid: 0,
  };
  if (renamedFrom) record.renamedFrom = renamedFrom as LogPath;
  return record;
}

function gone(path: string, type: 'file' | 'dir', basedOn: string, renamedTo: string): DeleteRecord {
  return { kind: 'delete', versionId: newVersionId(), time: Date.now(), root: 'r', path: path as LogPath, type, basedOn, renamedTo: renamedTo as LogPath };
}

describe('Applier', () => {
  it('makes a moved folder once its wait for the entries inside is over, and each entry follows', async () => {
    const tmp = await makeTmpDir();
    const folder = join(tmp, 'folder');
    const logDir = join(tmp, 'log');
    await mkdir(join(folder, 'x'), { recursive: true });
    await writeFile(join(folder, 'x', 'f'), 'what this node holds');
    await writeFile(join(tmp, 'peer-edit'), 'what the peer moved');
    const store = await openStore(logDir, {});
    try {
      const file = async (abs: string, path: string, extra: Partial<VersionRecord>): Promise<VersionRecord> => {
        const content = await store.ingestFile(abs);
        const info = await lstat(abs);
        return {
          kind: 'version', versionId: newVersionId(), time: Date.now(), root: 'r', path: path as LogPath, type: 'file', event: 'modified',
          size: content.size, mtimeMs: info.mtimeMs, mode: 0o644, uid: 0, gid: 0, contentId: content.contentId, chunks: content.chunks, ...extra,
        };
      };
      const x = dir('x');
      const held = await file(join(folder, 'x', 'f'), 'x/f', { event: 'created' });
      const edited = await file(join(tmp, 'peer-edit'), 'x/f', { basedOn: held.versionId });
      // The move arrives with x/f at the peer's edit: what moved to moved/f is not what this node's x/f holds.
      const records: EntryRecord[] = [
        x, held, edited,
        gone('x', 'dir', x.versionId, 'moved'), dir('moved', 'x'),
        gone('x/f', 'file', edited.versionId, 'moved/f'), { ...edited, versionId: newVersionId(), path: 'moved/f' as LogPath, event: 'renamed', renamedFrom: 'x/f' as LogPath, basedOn: undefined },
      ];
      const stored = (await store.appendRecords(records)) as StoredRecord<EntryRecord>[];
      const state = new SyncState('r', NODE, logDir);
      for (const s of stored) state.add(s);
      state.setShadow('x', stored[0]!);
      state.setShadow('x/f', stored[1]!);
      const errors: string[] = [];
      const applied: string[] = [];
      const applier = new Applier(folder, state, store, () => {}, {
        applied: (path, record) => applied.push(`${record.kind} ${path}`),
        conflict: () => {},
        refused: (path, reason) => errors.push(`${path}: ${reason}`),
        error: (error) => errors.push(error.message),
      }, undefined, undefined);
      applier.schedule(state.paths());
      await waitFor(async () => (await readFile(join(folder, 'moved', 'f'), 'utf8').catch(() => '')) === 'what the peer moved', 'moved/f written', 30_000);
      await waitFor(async () => (await lstat(join(folder, 'x')).catch(() => undefined)) === undefined, 'x removed', 30_000);
      await applier.close();
      expect(applied).toEqual(expect.arrayContaining(['version moved', 'version moved/f', 'delete x/f', 'delete x']));
      expect(errors).toEqual([]);
      // Nothing is lost: the version this node held at x/f is still in the log.
      const kept = await readAll(store.readContent(held.chunks!));
      expect(kept).toBe('what this node holds');
    } finally {
      await store.close();
    }
  }, 60_000);
});

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('SyncState.load', () => {
  it("gives no shadow to a path the folder lacks and this node never held, so its absence is not taken for a delete", async () => {
    const tmp = await makeTmpDir();
    const folder = join(tmp, 'folder');
    const logDir = join(tmp, 'log');
    await mkdir(join(folder, 'mine'), { recursive: true });
    const store = await openStore(logDir, {});
    try {
      const peer = { log: '0-bbbb222200000000', seq: 1 };
      const theirs = { ...dir('theirs'), origin: peer };
      const mine = dir('mine');
      await store.appendRecords([theirs, mine]);
      const state = await SyncState.load(await store.catalog(), 'r', NODE, logDir, folder);
      // A peer's folder that arrived before a kill: nothing on disk, never held here.
      expect(state.shadowOf('theirs')).toBeUndefined();
      expect(state.resolve('theirs').winner?.record.versionId).toBe(theirs.versionId);
      // A folder this node recorded and still has: held.
      expect(state.shadowOf('mine')?.record.versionId).toBe(mine.versionId);
    } finally {
      await store.close();
    }
  });
});

describe('Applier temp files', () => {
  it('removes a temp file a failed write left elsewhere in the folder (its folder was moved away mid-write)', async () => {
    const tmp = await makeTmpDir();
    const folder = join(tmp, 'folder');
    const logDir = join(tmp, 'log');
    await mkdir(join(folder, 'moved'), { recursive: true });
    // What the race leaves: the temp of a write into x/, carried to moved/ when the user renamed x to moved.
    const stray = join(folder, 'moved', '.a.txt.synclog-tmp-0123456789ab');
    await writeFile(stray, 'half of a write');
    const store = await openStore(logDir, {});
    try {
      // A write that fails now: its content names a chunk the store does not hold.
      const missing = new Uint8Array(32).fill(7);
      const version: VersionRecord = {
        kind: 'version', versionId: newVersionId(), time: Date.now(), root: 'r', path: 'a.txt' as LogPath, type: 'file', event: 'created',
        size: 5, mtimeMs: Date.now(), mode: 0o644, uid: 0, gid: 0, contentId: missing, chunks: [{ id: missing, size: 5 }],
      };
      // Held by the state only (the log would refuse it): as a record whose chunk a prune took would read.
      const state = new SyncState('r', NODE, logDir);
      state.add({ record: version, seq: 1, segment: '00000000000000000000.seg', offset: 0 });
      const errors: string[] = [];
      const applier = new Applier(folder, state, store, () => {}, {
        applied: () => {}, conflict: () => {}, refused: (path, reason) => errors.push(`${path}: ${reason}`), error: (error) => errors.push(error.message),
      }, undefined, undefined);
      applier.schedule(state.paths());
      await applier.idle();
      await applier.close();
      // The write failed (it is said once it has failed three times in a row) and waits to be tried again.
      await expect(lstat(stray)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await readdir(folder, { recursive: true })).sort()).toEqual(['moved']);
    } finally {
      await store.close();
    }
  });
});
