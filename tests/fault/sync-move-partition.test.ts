// A move during a partition, with a concurrent edit of what moved (docs/sync.md "Renames and folder moves"): node c
// is killed with SIGKILL; while it is down, a renames a file and moves a folder, and c's folder is edited at the old
// paths (the file, and a file inside the folder). When c comes back, every node holds the edits at the new paths,
// nothing at the old ones, and no conflict copy: the move and the edit are both kept. On c the moves are renames
// (the same inodes: c's edited files were moved, not written again).
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { converged, makeNodes, startNode, stopNode, trees, type SyncNodeProcess } from '../helpers/sync-nodes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

let running: SyncNodeProcess[] = [];

afterEach(async () => {
  await Promise.all(running.map((n) => stopNode(n, 'SIGKILL')));
  running = [];
});

describe('sync: a move concurrent with an edit of what moved', () => {
  it('keeps the edit, at the new path, on every node, with no conflict copy', async () => {
    const work = await makeTmpDir();
    const nodes = await makeNodes(work, ['q1', 'q2', 'q3']);
    running = nodes;
    for (const node of nodes) await startNode(node, nodes);
    const [a, b, c] = nodes as [SyncNodeProcess, SyncNodeProcess, SyncNodeProcess];
    await writeFile(join(a.dir, 'draft.md'), 'first\n');
    await mkdir(join(a.dir, 'src'));
    await writeFile(join(a.dir, 'src', 'main.c'), 'int main;\n');
    await waitFor(async () => (await converged(nodes)) && (await readdir(join(c.dir, 'src')).catch(() => [])).length === 1, 'the files everywhere', 60_000, 100);

    expect(await stopNode(c, 'SIGKILL')).toBeNull();
    await rename(join(a.dir, 'draft.md'), join(a.dir, 'final.md'));
    await rename(join(a.dir, 'src'), join(a.dir, 'lib'));
    await waitFor(async () => (await readdir(b.dir)).sort().join() === 'final.md,lib', 'the moves on b', 60_000, 100);
    await writeFile(join(c.dir, 'draft.md'), 'first, edited on c while apart\n');
    await writeFile(join(c.dir, 'src', 'main.c'), 'int main(void);\n');
    const editedInodes = await Promise.all(['draft.md', 'src/main.c'].map(async (p) => (await stat(join(c.dir, p))).ino));
    await startNode(c, nodes);

    const done = async () => {
      if (!(await converged(nodes))) return false;
      return (await readdir(a.dir)).sort().join() === 'final.md,lib' && (await readFile(join(a.dir, 'final.md'), 'utf8')).includes('edited on c');
    };
    await waitFor(done, 'the edits at the new paths, the same on every node', 90_000, 100, async () => ({ trees: await trees(nodes), err: nodes.map((n) => n.stderr) }));
    for (const node of nodes) {
      expect((await readdir(node.dir)).sort()).toEqual(['final.md', 'lib']);
      expect(await readdir(join(node.dir, 'lib'))).toEqual(['main.c']);
      expect(await readFile(join(node.dir, 'final.md'), 'utf8')).toBe('first, edited on c while apart\n');
      expect(await readFile(join(node.dir, 'lib', 'main.c'), 'utf8')).toBe('int main(void);\n');
    }
    expect(await Promise.all(['final.md', 'lib/main.c'].map(async (p) => (await stat(join(c.dir, p))).ino))).toEqual(editedInodes);
    // Nobody saw a conflict, and it stays that way (nothing comes back at the old paths).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await converged(nodes)).toBe(true);
    for (const node of nodes) expect(node.events.filter((e) => e.event === 'conflict')).toEqual([]);
  }, 240_000);
});
