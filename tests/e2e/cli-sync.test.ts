// Two-way sync through the CLI, as users run it: three `synclog sync` nodes on loopback, each with its own folder and
// log. Scripted edits on all three converge byte for byte (content, modes, mtimes); a partition (a node killed with
// SIGKILL, the same file edited on two sides, the node restarted) leaves both edits on every node as the file and
// one identically named conflict copy; nothing applied from a peer is recorded again (no echo).
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { converged, makeNodes, startNode, stopNode, trees, type SyncNodeProcess } from '../helpers/sync-nodes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

let running: SyncNodeProcess[] = [];

afterEach(async () => {
  await Promise.all(running.map((n) => stopNode(n, 'SIGKILL')));
  running = [];
});

async function versionsIn(log: string): Promise<{ versionId: string; path: string }[]> {
  const result = await runCli(['log', '--log', log, '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { versionId: string; path: string }[];
}

describe('synclog sync', () => {
  it('refuses bad arguments before it creates anything: a missing folder (1), a peer that is not http(s) (2)', async () => {
    const work = await makeTmpDir();
    const missing = await runCli(['sync', join(work, 'nope'), '--log', join(work, 'log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    await mkdir(join(work, 'dir'));
    const badPeer = await runCli(['sync', join(work, 'dir'), '--log', join(work, 'log'), '--peer', 'ftp://x']);
    expect(badPeer.code).toBe(2);
    expect(badPeer.stderr).toMatch(/not an http/);
    expect((await readdir(work)).sort()).toEqual(['dir']);
  });

  it('three nodes converge byte for byte after scripted edits on each; every log holds every version once', async () => {
    const work = await makeTmpDir();
    const nodes = await makeNodes(work, ['n1', 'n2', 'n3']);
    running = nodes;
    for (const node of nodes) await startNode(node, nodes);
    const [a, b, c] = nodes as [SyncNodeProcess, SyncNodeProcess, SyncNodeProcess];
    const same = () => converged(nodes);

    await writeFile(join(a.dir, 'from-a.txt'), 'alpha\n');
    await mkdir(join(b.dir, 'docs', 'deep'), { recursive: true });
    await writeFile(join(b.dir, 'docs', 'deep', 'from-b.md'), '# bravo\n');
    await writeFile(join(c.dir, 'script.sh'), '#!/bin/sh\necho charlie\n');
    await chmod(join(c.dir, 'script.sh'), 0o755);
    await waitFor(async () => (await same()) && (await readdir(a.dir)).length === 3, 'three creates everywhere', 60_000, 100, () => nodes.map((n) => n.stderr));

    await writeFile(join(c.dir, 'from-a.txt'), 'alpha, edited on c\n');
    await waitFor(async () => (await readFile(join(a.dir, 'from-a.txt'), 'utf8')).includes('edited on c') && (await same()), 'the edit on c everywhere', 60_000, 100);
    await rm(join(a.dir, 'docs', 'deep', 'from-b.md'));
    await rename(join(b.dir, 'script.sh'), join(b.dir, 'run.sh'));
    await waitFor(async () => {
      const names = await readdir(c.dir);
      return names.includes('run.sh') && !names.includes('script.sh') && (await readdir(join(c.dir, 'docs', 'deep'))).length === 0 && (await same());
    }, 'the delete and the rename everywhere', 60_000, 100, async () => ({ trees: await trees(nodes), stderr: nodes.map((n) => n.stderr) }));

    expect((await trees(nodes))[0]).toContain('"run.sh":{"type":"file","mode":493');
    // No echo: each version was made once, by one node, and every log holds exactly the same set of them.
    for (const node of nodes) expect(await stopNode(node)).toBe(0);
    const logs = await Promise.all(nodes.map((n) => versionsIn(n.log)));
    const ids = logs.map((l) => l.map((v) => v.versionId).sort());
    expect(new Set(ids[0]).size).toBe(ids[0]!.length);
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    // 5 creates (3 files, folders docs and docs/deep), 1 edit, 1 delete, 1 rename (a delete and a version).
    expect(ids[0]!.length).toBe(5 + 1 + 1 + 2);
  }, 180_000);

  it('a rename and a folder move made on one node are renames on the others: same inodes, nothing re-written', async () => {
    const work = await makeTmpDir();
    const nodes = await makeNodes(work, ['m1', 'm2', 'm3']);
    running = nodes;
    for (const node of nodes) await startNode(node, nodes);
    const [a, b, c] = nodes as [SyncNodeProcess, SyncNodeProcess, SyncNodeProcess];
    await writeFile(join(a.dir, 'old.txt'), 'renamed\n');
    await mkdir(join(a.dir, 'box', 'inner'), { recursive: true });
    await writeFile(join(a.dir, 'box', 'one.txt'), 'one\n');
    await writeFile(join(a.dir, 'box', 'inner', 'two.txt'), 'two\n');
    await waitFor(async () => (await converged(nodes)) && (await readdir(c.dir)).length === 2 && (await readdir(join(c.dir, 'box', 'inner')).catch(() => [])).length === 1, 'the files everywhere', 60_000, 100);
    const inodes = async (node: SyncNodeProcess, paths: string[]) => Promise.all(paths.map(async (p) => (await stat(join(node.dir, p))).ino));
    const beforeB = await inodes(b, ['old.txt', 'box', 'box/one.txt', 'box/inner/two.txt']);
    const beforeC = await inodes(c, ['old.txt', 'box', 'box/one.txt', 'box/inner/two.txt']);

    await rename(join(a.dir, 'old.txt'), join(a.dir, 'new.txt'));
    await rename(join(a.dir, 'box'), join(a.dir, 'crate'));
    const moved = async () => {
      const names = (await readdir(c.dir)).sort().join(',') + (await readdir(b.dir)).sort().join(',');
      return names === 'crate,new.txtcrate,new.txt' && (await converged(nodes));
    };
    await waitFor(moved, 'the rename and the folder move everywhere', 60_000, 100, async () => trees(nodes));
    // The same inodes: each peer renamed the file and the folder (with what is in it), it did not write them anew.
    expect(await inodes(b, ['new.txt', 'crate', 'crate/one.txt', 'crate/inner/two.txt'])).toEqual(beforeB);
    expect(await inodes(c, ['new.txt', 'crate', 'crate/one.txt', 'crate/inner/two.txt'])).toEqual(beforeC);
    // Each peer says so on stdout. Its lines arrive through a pipe after the files changed, so they are waited for
    // (under load the folder move's line came after the trees had converged); what they must say is unchanged.
    const movesOf = (node: SyncNodeProcess) => node.events.filter((e) => e.event === 'applied' && typeof e.movedFrom === 'string').map((e) => `${e.movedFrom as string}->${e.path as string}`);
    const bothMoves = (node: SyncNodeProcess) => ['old.txt->new.txt', 'box->crate'].every((move) => movesOf(node).includes(move));
    await waitFor(async () => bothMoves(b) && bothMoves(c), 'both peers to report both moves', 30_000, 50, () => [movesOf(b), movesOf(c)]);
    for (const node of [b, c]) expect(movesOf(node)).toEqual(expect.arrayContaining(['old.txt->new.txt', 'box->crate']));
    // No echo: the peers recorded nothing of their own.
    for (const node of nodes) expect(await stopNode(node)).toBe(0);
    const logs = await Promise.all(nodes.map((n) => versionsIn(n.log)));
    expect(logs[1]!.map((v) => v.versionId).sort()).toEqual(logs[0]!.map((v) => v.versionId).sort());
    expect(logs[2]!.map((v) => v.versionId).sort()).toEqual(logs[0]!.map((v) => v.versionId).sort());
  }, 180_000);

  it('a partition: both edits of the same file are on every node, as the file and one identically named conflict copy', async () => {
    const work = await makeTmpDir();
    const nodes = await makeNodes(work, ['p1', 'p2', 'p3']);
    running = nodes;
    for (const node of nodes) await startNode(node, nodes);
    const [a, b, c] = nodes as [SyncNodeProcess, SyncNodeProcess, SyncNodeProcess];
    await writeFile(join(a.dir, 'notes.md'), 'v1\n');
    await waitFor(async () => (await converged(nodes)) && (await readdir(c.dir)).includes('notes.md'), 'notes.md everywhere', 60_000, 100);

    // c is killed, and edited while it is down; a edits the same file meanwhile.
    expect(await stopNode(c, 'SIGKILL')).toBeNull();
    await writeFile(join(a.dir, 'notes.md'), 'edited on a\n');
    await waitFor(async () => (await readFile(join(b.dir, 'notes.md'), 'utf8')) === 'edited on a\n', 'a\'s edit on b', 60_000, 100);
    await writeFile(join(c.dir, 'notes.md'), 'edited on c while apart\n');
    await startNode(c, nodes);

    const bothKept = async () => {
      const all = await trees(nodes);
      if (!all.every((t) => t === all[0])) return undefined;
      const names = (await readdir(a.dir)).sort();
      return names.length === 2 ? names : undefined;
    };
    const names = await waitFor(bothKept, 'the file and its conflict copy, the same on every node', 90_000, 100, async () => ({ trees: await trees(nodes), err: nodes.map((n) => n.stderr) }));
    expect(names[0]).toBe('notes.md');
    expect(names[1]).toMatch(/^notes\.sync-conflict-\d{8}-\d{6}-[0-9a-f]{8}\.md$/);
    const contents = new Set(await Promise.all(names.map((n) => readFile(join(b.dir, n), 'utf8'))));
    expect(contents).toEqual(new Set(['edited on a\n', 'edited on c while apart\n']));
    // Every node said so.
    await waitFor(() => nodes.every((n) => n.events.some((e) => e.event === 'conflict' && e.copy === names[1])), 'a conflict event on every node', 30_000, 100);
    // And `synclog status` says so, from any node's log.
    await waitFor(async () => {
      const status = await runCli(['status', '--log', b.log, '--json']);
      return (JSON.parse(status.stdout) as { syncConflicts: string[] }).syncConflicts.some((p) => p.endsWith(`/${names[1]}`));
    }, 'status to list the conflict copy', 30_000, 500);
  }, 240_000);
});
