// The catch-up planner on record headers alone: which records a later one supersedes, and that applying the rest
// over a tree ends where applying all of them does (a small model of the latest receiver's apply rules).
import { describe, expect, it } from 'vitest';
import { collectPlanRecords, planCatchUp, planKey, type PlanRecord } from '../../../src/receiver/catch-up-plan.js';
import type { VersionRecord } from '../../../src/record/index.js';
import type { StoredRecord } from '../../../src/store/types.js';
import { validateLogPath } from '../../../src/util/log-path.js';

type Step = [kind: 'version' | 'delete', type: PlanRecord['type'], path: string];

function records(steps: Step[]): PlanRecord[] {
  return steps.map(([kind, type, path], seq) => ({ seq, root: 'r', path, kind, type }));
}

function kept(steps: Step[]): number[] {
  const plan = planCatchUp(records(steps));
  return records(steps).filter((r) => !plan.isSuperseded(r.seq)).map((r) => r.seq);
}

/** The latest receiver's rules as a model: a delete removes the subtree, a file/link replaces it, mkdir keeps it. */
function apply(tree: Map<string, string>, record: PlanRecord): void {
  const key = planKey(record);
  const under = (k: string) => k === key || k.startsWith(`${key}/`);
  if (record.kind === 'delete' || record.type !== 'dir') for (const k of [...tree.keys()]) if (under(k)) tree.delete(k);
  if (record.kind === 'version') {
    // Parents are made as folders (replacing a file or link in the way), as the destination does.
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const now = tree.get(parent);
      if (now !== 'dir' && now !== 'implied') {
        for (const k of [...tree.keys()]) if (k === parent || k.startsWith(`${parent}/`)) tree.delete(k);
        tree.set(parent, 'implied');
      }
    }
    tree.set(key, record.type === 'dir' ? 'dir' : `${record.type}@${record.seq}`);
  }
}

function replay(start: Map<string, string>, list: PlanRecord[]): Map<string, string> {
  const tree = new Map(start);
  for (const record of list) apply(tree, record);
  return tree;
}

/**
 * The tree without the folders made only as a parent of something since removed: a skipped record does not make
 * its parents, so those may differ (the source never had them unless a folder version says so, and that is kept).
 */
function settled(tree: Map<string, string>): Map<string, string> {
  const keys = [...tree.keys()];
  return new Map([...tree].filter(([k, v]) => v !== 'implied' || keys.some((o) => o.startsWith(`${k}/`))));
}

describe('catch-up plan', () => {
  it('overwrite x10: the file is written once (the last version)', () => {
    const steps: Step[] = Array.from({ length: 10 }, () => ['version', 'file', 'a.txt'] as Step);
    expect(kept(steps)).toEqual([9]);
  });

  it('create then delete: never written, only the delete is kept', () => {
    expect(kept([['version', 'file', 'a'], ['version', 'file', 'a'], ['delete', 'file', 'a']])).toEqual([2]);
  });

  it('rename chain a -> b -> c: only the last name is written, the deletes of the old names stay', () => {
    const steps: Step[] = [
      ['version', 'file', 'a'],
      ['delete', 'file', 'b'], // (nothing there: the watcher never records this, but a delete of nothing is harmless)
      ['delete', 'file', 'a'], ['version', 'file', 'b'],
      ['delete', 'file', 'b'], ['version', 'file', 'c'],
    ];
    expect(kept(steps)).toEqual([2, 4, 5]);
  });

  it('file -> dir -> file: the file versions before the last are superseded, the folder and its files too', () => {
    const steps: Step[] = [
      ['version', 'file', 'x'],
      ['version', 'dir', 'x'], ['version', 'file', 'x/in'],
      ['version', 'file', 'x'],
    ];
    expect(kept(steps)).toEqual([3]);
  });

  it('dir -> file -> dir: the folder versions stay (mkdir keeps children), so does the file that cleared it', () => {
    const steps: Step[] = [['version', 'dir', 'x'], ['version', 'file', 'x/in'], ['version', 'file', 'x'], ['version', 'dir', 'x'], ['version', 'file', 'x/new']];
    // x/in and the first x are cleared by the file x; the file x stays: a later mkdir would keep a child from before.
    expect(kept(steps)).toEqual([2, 3, 4]);
  });

  it('delete of a folder, then re-created: the files in the old folder are never written, the delete stays', () => {
    const steps: Step[] = [
      ['version', 'dir', 'd'], ['version', 'file', 'd/a'], ['version', 'file', 'd/sub/b'],
      ['delete', 'dir', 'd'],
      ['version', 'dir', 'd'], ['version', 'file', 'd/c'],
    ];
    expect(kept(steps)).toEqual([3, 4, 5]);
  });

  it('a sibling with a common prefix is not "under" a deleted folder', () => {
    expect(kept([['version', 'file', 'dd/a'], ['delete', 'dir', 'd']])).toEqual([0, 1]);
  });

  it('symlinks clear like files: a link replaced by a folder keeps the link version (it clears the old tree)', () => {
    expect(kept([['version', 'symlink', 'l'], ['version', 'symlink', 'l'], ['version', 'file', 'l']])).toEqual([2]);
  });

  it('endSeq and count describe what was planned; seqs outside it are never superseded', () => {
    const plan = planCatchUp(records([['version', 'file', 'a'], ['version', 'file', 'a']]));
    expect(plan).toMatchObject({ endSeq: 2, count: 2 });
    expect(plan.isSuperseded(0)).toBe(true);
    expect(plan.isSuperseded(2)).toBe(false);
    expect(planCatchUp([]).endSeq).toBe(0);
  });

  it('random histories: the kept records applied over any start tree end where all of them do', () => {
    const names = ['a', 'b', 'a/x', 'a/y', 'a/x/z', 'b/x'];
    const types: PlanRecord['type'][] = ['file', 'dir', 'symlink'];
    let state = 12345;
    const next = (n: number) => {
      state = (state * 1103515245 + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    // Histories a source can have: a version only where every folder above it is a folder then (as the watcher sees).
    const history = (from: Map<string, string>, length: number, firstSeq: number): PlanRecord[] => {
      const tree = new Map(from);
      const out: PlanRecord[] = [];
      while (out.length < length) {
        const path = names[next(names.length)]!;
        const record: PlanRecord = { seq: firstSeq + out.length, root: 'r', path, kind: next(4) === 0 ? 'delete' : 'version', type: types[next(3)]! };
        const parents = path.split('/').slice(0, -1).map((_, i, all) => `r/${all.slice(0, i + 1).join('/')}`);
        if (record.kind === 'version' && !parents.every((p) => tree.get(p) === 'dir')) continue;
        apply(tree, record);
        out.push(record);
      }
      return out;
    };
    for (let trial = 0; trial < 3000; trial++) {
      const start = replay(new Map([['r', 'dir']]), history(new Map([['r', 'dir']]), next(6), -100));
      const list = history(start, 1 + next(12), 0);
      const plan = planCatchUp(list);
      const skipped = replay(start, list.filter((r) => !plan.isSuperseded(r.seq)));
      expect(settled(skipped), JSON.stringify({ list, start: [...start] })).toEqual(settled(replay(start, list)));
    }
  });
});

describe('collectPlanRecords keeps what it read for the apply pass', () => {
  function stored(seq: number, path: string, chunks: number): StoredRecord<VersionRecord> {
    const chunkRefs = Array.from({ length: chunks }, () => ({ id: new Uint8Array(32), size: 1 }));
    const record: VersionRecord = { kind: 'version', versionId: `v${seq}`, time: 0, root: 'r', path: validateLogPath(path), type: 'file', event: 'modified', size: chunks, mtimeMs: 0, mode: 0o644, uid: 0, gid: 0, chunks: chunkRefs };
    return { seq, segment: 's', offset: seq, record };
  }
  async function* stream(items: StoredRecord[]): AsyncGenerator<StoredRecord> {
    yield* items;
  }

  it('keeps every record when they fit, and a prefix without a gap when they do not', async () => {
    const items = [stored(0, 'a', 1), stored(2, 'b', 1), stored(5, 'c', 1000), stored(6, 'd', 1)];
    const all = await collectPlanRecords(stream(items), 1024 * 1024);
    expect(all.records.map((r) => r.seq)).toEqual([0, 2, 5, 6]);
    expect(all.kept.map((r) => r.seq)).toEqual([0, 2, 5, 6]);
    // Room for the two small ones only: the large third ends the keeping, and the small fourth is not kept after it.
    const some = await collectPlanRecords(stream(items), 2048);
    expect(some.records.map((r) => r.seq)).toEqual([0, 2, 5, 6]);
    expect(some.kept.map((r) => r.seq)).toEqual([0, 2]);
    expect((await collectPlanRecords(stream(items))).kept).toEqual([]);
  });

  it('a read that fails ends the plan and the keeping at the same record', async () => {
    async function* failing(): AsyncGenerator<StoredRecord> {
      yield stored(0, 'a', 1);
      yield stored(1, 'b', 1);
      throw new Error('damaged frame');
    }
    const plan = await collectPlanRecords(failing(), 1024 * 1024);
    expect(plan.records.map((r) => r.seq)).toEqual([0, 1]);
    expect(plan.kept.map((r) => r.seq)).toEqual([0, 1]);
  });
});
