// Fault model: the receiver process is killed with SIGKILL at a random moment while it catches up with a large log
// (mid-file write, mid-rename, mid-directory fsync, mid-cursor save, mid-manifest append), possibly several times in
// a row. What must survive: each restart ends in exactly the source tree (content, mode, mtime, links, no temp
// files, nothing extra), the cursor is whole, and in all-versions mode the manifest has exactly one line per record.
// 30 kills in chains of six (six kills in a row, then a restart that runs to the end and is compared).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.js';
import { snapshotTree, type TreeEntry } from '../helpers/tree-snapshot.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';

const CHAINS = 5;
const KILLS_PER_CHAIN = 6;

function randomBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

let work: string;
let source: string;
let logDir: string;
let expected: Record<string, TreeEntry>;
let records = 0;
let catchUpMs = 1000;

/** A tree of ~400 entries (~8 MB), recorded, then changed (modify, delete, rename, move, links) and recorded again. */
async function buildLog(): Promise<void> {
  await mkdir(source, { recursive: true });
  for (let d = 0; d < 20; d++) await mkdir(join(source, `d${d}`, 'sub'), { recursive: true });
  await mkdir(join(source, 'empty'));
  for (let i = 0; i < 300; i++) {
    const size = i % 50 === 0 ? 600_000 : (i * 7919) % 30_000;
    await writeFile(join(source, `d${i % 20}`, i % 3 ? 'sub' : '', `f${i}.bin`), randomBytes(size, i + 1), { mode: i % 5 ? 0o644 : 0o600 });
  }
  for (let i = 0; i < 10; i++) await symlink(`../d${i}/f${i}.bin`, join(source, 'd0', `link${i}`));
  const log = await LogBuilder.open(logDir, source, { segmentBytesMax: 4 * 1024 * 1024 });
  try {
    records += await log.recordAll();
    for (let i = 0; i < 300; i += 9) {
      const rel = `d${i % 20}/${i % 3 ? 'sub/' : ''}f${i}.bin`;
      await writeFile(join(source, rel), randomBytes(1000 + i, i + 7));
      await log.record(rel);
      records++;
    }
    for (let i = 1; i < 300; i += 13) {
      const rel = `d${i % 20}/${i % 3 ? 'sub/' : ''}f${i}.bin`;
      await rm(join(source, rel));
      await log.record(rel);
      records++;
    }
    for (let i = 2; i < 300; i += 17) {
      const from = `d${i % 20}/${i % 3 ? 'sub/' : ''}f${i}.bin`;
      const to = `d${(i + 1) % 20}/moved-${i}.bin`;
      if ((i - 1) % 13 === 0) continue; // deleted above
      await rename(join(source, from), join(source, to));
      await log.recordRename(from, to);
      records += 2;
    }
    // A folder deleted whole: its files, then the folder.
    const gone = (await readdir(join(source, 'd19/sub'))).sort();
    await rm(join(source, 'd19/sub'), { recursive: true });
    await log.store.appendRecords([...gone.map((name) => log.deleteOf(`d19/sub/${name}`)), log.deleteOf('d19/sub', 'dir')]);
    records += gone.length + 1;
  } finally {
    await log.close();
  }
}

/** Where the cursor stood after a kill (-1: none yet), to report how the kills spread over the catch-up. */
const killedAt: number[] = [];
async function cursorSeq(dest: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(join(dest, '.synclog-receiver/cursor.json'), 'utf8')) as { nextSeq: number }).nextSeq;
  } catch {
    return -1;
  }
}

function spawnReceive(dest: string, mode: string): { child: ReturnType<typeof spawn>; firstChange: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'receive', '--log', logDir, '--out', dest, '--mode', mode, '--json'], {
    env: { ...process.env, SYNCLOG_NO_PROGRESS: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const firstChange = new Promise<void>((resolve) => {
    const onData = (data: Buffer) => {
      if (data.toString().includes('"event"')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.on('close', () => resolve());
  });
  child.stdout!.resume();
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, firstChange, exited };
}

describe('receiver killed with SIGKILL during a large catch-up', () => {
  beforeAll(async () => {
    // Not makeTmpDir: that one is emptied after each test, and the log is shared by every chain.
    work = await mkdtemp(join(tmpdir(), 'synclog-receiver-kill-'));
    source = join(work, 'src', 'data');
    logDir = join(work, 'log');
    await mkdir(join(work, 'src'));
    await buildLog();
    expected = await snapshotTree(source);
    // How long an undisturbed catch-up takes here, to spread the kills over it.
    const started = Date.now();
    const probe = await runCli(['receive', '--log', logDir, '--out', join(work, 'probe'), '--once']);
    expect(probe.code, probe.stderr).toBe(0);
    catchUpMs = Date.now() - started;
  }, 120_000);

  afterAll(async () => {
    console.log(`receiver-sigkill: catch-up ${catchUpMs} ms; cursor after each kill (of ${records} entry records): ${killedAt.join(' ')}`);
    if (!process.env.SYNCLOG_KEEP_TMP) await rm(work, { recursive: true, force: true });
  });

  for (let chain = 0; chain < CHAINS; chain++) {
    const mode = chain % 2 === 1 ? 'all-versions' : 'latest';
    it(`chain ${chain + 1} (${mode}): ${KILLS_PER_CHAIN} kills, then the restart ends in the exact tree`, async () => {
      const dest = join(work, `dest-${chain}`);
      for (let kill = 0; kill < KILLS_PER_CHAIN; kill++) {
        const run = spawnReceive(dest, mode);
        await run.firstChange;
        // A random moment after the first applied change: mid-file, mid-rename, mid-fsync or mid-cursor save.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * catchUpMs * 0.5));
        run.child.kill('SIGKILL');
        await run.exited;
        killedAt.push(await cursorSeq(dest));
      }
      const done = await runCli(['receive', '--log', logDir, '--out', dest, '--mode', mode, '--once', '--json']);
      expect(done.code, done.stderr).toBe(0);
      expect(await snapshotTree(join(dest, 'data'))).toEqual(expected);
      expect((await readdir(dest)).filter((n) => n !== '.synclog-receiver' && n !== '.versions')).toEqual(['data']);
      const state = (await readdir(join(dest, '.synclog-receiver'))).sort();
      expect(state).toEqual(mode === 'latest' ? ['cursor.json'] : ['cursor.json', 'manifest.jsonl']);
      if (mode === 'all-versions') {
        const lines = (await readFile(join(dest, '.synclog-receiver/manifest.jsonl'), 'utf8')).trimEnd().split('\n');
        const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(seqs.length).toBe(records);
      }
    });
  }
});
