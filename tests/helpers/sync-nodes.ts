// Sync nodes as a user runs them: `synclog sync DIR --log LOG --listen 127.0.0.1:PORT --peer URL…` child processes
// on loopback, each with its own temp folder and log. A node's port is taken from the OS (port 0) before the group
// starts, so every node can be given the others' URLs and keeps its port across restarts (as a real node would).
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnCli, waitForLine } from './run-cli.js';
import { snapshotTree } from './tree-snapshot.js';

export interface SyncNodeProcess {
  name: string;
  dir: string;
  log: string;
  port: number;
  url: string;
  child: ChildProcess | undefined;
  /** Lines the child printed to stdout (JSON events). */
  events: Record<string, unknown>[];
  stderr: string;
}

/** A port the OS just handed out on 127.0.0.1 (then released for the node to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function makeNodes(work: string, names: readonly string[]): Promise<SyncNodeProcess[]> {
  const nodes: SyncNodeProcess[] = [];
  for (const name of names) {
    const port = await freePort();
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    nodes.push({ name, dir, log: join(work, `${name}.log`), port, url: `http://127.0.0.1:${port}/`, child: undefined, events: [], stderr: '' });
  }
  return nodes;
}

/** Starts `node` with every other node of `group` as a peer; resolves once it listens. */
export async function startNode(node: SyncNodeProcess, group: readonly SyncNodeProcess[], extra: string[] = []): Promise<void> {
  const peers = group.filter((n) => n !== node).flatMap((n) => ['--peer', n.url]);
  const child = spawnCli(['sync', node.dir, '--log', node.log, '--listen', `127.0.0.1:${node.port}`, ...peers, '--debounce', '50', '--json', ...extra]);
  node.child = child;
  let buffer = '';
  child.stdout!.on('data', (data: Buffer) => {
    buffer += data.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) node.events.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.on('data', (data: Buffer) => (node.stderr += data.toString()));
  const exited = new Promise<never>((_, reject) => child.once('close', (code) => reject(new Error(`${node.name} exited (${code}) before listening: ${node.stderr}`))));
  await Promise.race([waitForLine(child, /"event":"listening"/, 60_000), exited]);
}

/** SIGTERM (a clean stop, exit code returned) or SIGKILL. */
export function stopNode(node: SyncNodeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const child = node.child;
  node.child = undefined;
  if (!child || child.exitCode !== null) return Promise.resolve(child?.exitCode ?? null);
  return new Promise((resolve) => {
    child.once('close', (code) => resolve(code));
    child.kill(signal);
  });
}

/** Every node's folder as data (content hashes, modes, mtimes, link targets). */
export async function trees(nodes: readonly SyncNodeProcess[]): Promise<string[]> {
  // A node writing at that moment (a temp file renamed away under the walk) is a tree in flux: never equal.
  return Promise.all(nodes.map(async (n) => JSON.stringify(await snapshotTree(n.dir)).toString()).map((p, i) => p.catch(() => `in flux ${i} ${Math.random()}`)));
}

/** True when every folder is the same tree, byte for byte. */
export async function converged(nodes: readonly SyncNodeProcess[]): Promise<boolean> {
  const all = await trees(nodes);
  return all.every((t) => t === all[0]);
}
