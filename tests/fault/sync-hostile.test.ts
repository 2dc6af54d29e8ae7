// A hostile peer (named after the attacks): its log, served on loopback, holds a sound file, a record claiming to be
// another node's (a forged origin), a symlink pointing out of the folder, a path into the node's own log folder, and
// last a path with `..`. The node (`synclog sync` through the CLI) takes the sound file only: nothing is written
// outside its folder or into its log, the forged record is never copied, and the bad path stops the copy from that
// peer with a clear message and exit code 1.
import { encode } from '@msgpack/msgpack';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { LogServer } from '../../src/net/index.js';
import { newVersionId, RECORD_TAGS, type VersionRecord } from '../../src/record/index.js';
import { openStore } from '../../src/store/index.js';
import type { LogPath } from '../../src/util/log-path.js';
import { runCli } from '../helpers/run-cli.js';
import { makeNodes, startNode, stopNode, type SyncNodeProcess } from '../helpers/sync-nodes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const OTHER_NODE = '0-1234567890abcdef';
let node: SyncNodeProcess | undefined;
let server: LogServer | undefined;

afterEach(async () => {
  if (node) await stopNode(node, 'SIGKILL');
  await server?.close();
  node = undefined;
  server = undefined;
});

function version(path: string, extra: Partial<VersionRecord>): VersionRecord {
  const time = Date.now();
  return { kind: 'version', versionId: newVersionId(time), time, root: 'evil', path: path as LogPath, type: 'file', event: 'created', size: 0, mtimeMs: time, mode: 0o644, uid: 0, gid: 0, ...extra };
}

async function hostileLog(dir: string): Promise<void> {
  const store = await openStore(dir, { workers: 1 });
  const content = await store.ingestStream((async function* () { yield Buffer.from('sound\n'); })());
  const file = { contentId: content.contentId, chunks: content.chunks, size: content.size };
  await store.appendRecords([
    version('ok.txt', file),
    version('forged.txt', { ...file, origin: { log: OTHER_NODE, seq: 7 } }),
    version('link', { type: 'symlink', target: '/etc', size: 4 }),
    version('.synclog/evil.seg', file),
  ]);
  await store.close();
  // The codec refuses `..` on encode-check and decode: the hostile log is written as raw frames.
  const log = await Log.open(dir);
  const { kind: _kind, ...fields } = version('../evil.txt', {});
  void _kind;
  await log.append({ tag: RECORD_TAGS.version, payload: encode({ ...fields, contentId: content.contentId, chunks: content.chunks.map((c) => ({ id: c.id, size: c.size })), size: content.size }) });
  await log.close();
}

describe('synclog sync against a hostile peer', () => {
  it('takes only what is safe: no write outside the folder or into its log, no forged origin, a refused peer said', async () => {
    const work = await makeTmpDir();
    const evilLog = join(work, 'evil-log');
    await hostileLog(evilLog);
    server = await LogServer.start({ logDir: evilLog, host: '127.0.0.1', port: 0 });
    const [victim] = await makeNodes(work, ['victim']);
    node = victim!;
    node.log = join(node.dir, '.synclog'); // the log inside the folder: the applier must never write into it
    await mkdir(node.dir, { recursive: true });
    await startNode(node, [node, { ...node, name: 'evil', url: server.url }]);
    await waitFor(() => node!.events.some((e) => e.event === 'peer-failed'), 'the peer refused', 60_000, 100, () => node!.events);
    await waitFor(async () => (await readdir(node!.dir)).includes('ok.txt'), 'the sound file', 30_000, 100);
    expect(await readFile(join(node.dir, 'ok.txt'), 'utf8')).toBe('sound\n');
    const failed = node.events.find((e) => e.event === 'peer-failed') as { message: string };
    expect(failed.message).toMatch(/\.\./);
    await waitFor(() => node!.events.filter((e) => e.event === 'refused').length >= 2, 'the link and the log path refused', 30_000, 100, () => node!.events);
    expect((await readdir(node.dir)).sort()).toEqual(['.synclog', 'ok.txt']);
    expect(await readdir(work)).not.toContain('evil.txt');
    expect((await readdir(node.log)).filter((n) => n.includes('evil'))).toEqual([]);
    expect(await stopNode(node)).toBe(1);
    node = undefined;
    // The forged record was never copied; the link and the log path are in the history as the peer sent them, never applied.
    const listed = JSON.parse((await runCli(['log', '--log', join(work, 'victim', '.synclog'), '--json'])).stdout) as { path: string }[];
    expect(listed.map((v) => v.path).sort()).toEqual(['victim/.synclog/evil.seg', 'victim/link', 'victim/ok.txt']);
  }, 120_000);
});
