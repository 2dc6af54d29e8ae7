// Fault model: a latest receiver catching up with a long history (every file rewritten ten times, files created and
// deleted, a folder deleted and re-created, a file -> folder -> file change, a link retargeted) is killed with
// SIGKILL at random moments, so the cursor is saved past superseded records whose superseding record may not be
// applied yet. What must survive: the restart (which plans again from the saved cursor) ends in exactly the source
// tree, with nothing extra. SYNCLOG_CATCHUP_KILLS sets the number of kills (default 10; stress/ runs more).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.js';
import { snapshotTree, type TreeEntry } from '../helpers/tree-snapshot.js';
import { buildCatchUpHistory } from '../integration/catch-up-history.js';

const KILLS = Number(process.env.SYNCLOG_CATCHUP_KILLS ?? 10);
const KILLS_PER_CHAIN = 5;

let work: string;
let logDir: string;
let expected: Record<string, TreeEntry>;
let catchUpMs = 1000;
/** When the probe's apply pass began (its first cursor), from its start. */
let applyFromMs = 0;
const killedAt: number[] = [];

async function cursorSeq(dest: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(join(dest, '.synclog-receiver/cursor.json'), 'utf8')) as { nextSeq: number }).nextSeq;
  } catch {
    return -1;
  }
}

/** Starts `receive --once` and kills it after `delayMs` (or lets it finish first, which is fine too). */
async function receiveAndKill(dest: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'receive', '--log', logDir, '--out', dest, '--once', '--json'], {
    env: { ...process.env, SYNCLOG_NO_PROGRESS: '1' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  await exited;
  clearTimeout(timer);
}

describe('receiver killed with SIGKILL while a catch-up skips superseded records', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'synclog-catchup-kill-'));
    logDir = join(work, 'log');
    const source = join(work, 'src', 'data');
    await buildCatchUpHistory(source, logDir, { files: 40, rounds: 10, fileBytes: 150_000 });
    expected = await snapshotTree(source);
    const started = Date.now();
    // When the probe's first cursor appears: it saves one before it applies its first record, so from then on a
    // kill lands in the apply pass (writes, renames, batch syncs, cursor saves), not in start-up or the plan.
    const probeCursor = join(work, 'probe', '.synclog-receiver', 'cursor.json');
    const watching = setInterval(() => {
      if (applyFromMs === 0 && existsSync(probeCursor)) applyFromMs = Date.now() - started;
    }, 2);
    const probe = await runCli(['receive', '--log', logDir, '--out', join(work, 'probe'), '--once']);
    clearInterval(watching);
    expect(probe.code, probe.stderr).toBe(0);
    catchUpMs = Date.now() - started;
    if (applyFromMs === 0 || applyFromMs >= catchUpMs) applyFromMs = catchUpMs / 2;
  }, 120_000);

  afterAll(async () => {
    console.log(`receiver-catchup-sigkill: catch-up ${catchUpMs} ms, apply pass from ${applyFromMs} ms; cursor after each kill: ${killedAt.join(' ')}`);
    if (!process.env.SYNCLOG_KEEP_TMP) await rm(work, { recursive: true, force: true });
  });

  const chains = Math.max(1, Math.ceil(KILLS / KILLS_PER_CHAIN));
  for (let chain = 0; chain < chains; chain++) {
    const kills = Math.min(KILLS_PER_CHAIN, KILLS - chain * KILLS_PER_CHAIN);
    it(`chain ${chain + 1}: ${kills} kills during the catch-up, then the restart ends in the exact tree`, async () => {
      const dest = join(work, `dest-${chain}`);
      for (let kill = 0; kill < kills; kill++) {
        // From process start: node's start-up, the plan pass, mid-write, mid-rename, mid-batch sync, mid-cursor
        // save. Every other kill falls within the apply pass as the probe timed it (most of the run is start-up and
        // the plan, so uniform kills alone rarely hit a write). The cursor is saved every 250 ms, so its values
        // after the kills show the spread only coarsely.
        const delayMs = kill % 2 === 0 ? Math.random() * catchUpMs : applyFromMs + Math.random() * (catchUpMs - applyFromMs);
        await receiveAndKill(dest, delayMs);
        killedAt.push(await cursorSeq(dest));
      }
      const done = await runCli(['receive', '--log', logDir, '--out', dest, '--once', '--json']);
      expect(done.code, done.stderr).toBe(0);
      expect(await snapshotTree(join(dest, 'data'))).toEqual(expected);
      expect((await readdir(dest)).sort()).toEqual(['.synclog-receiver', 'data']);
      expect((await readdir(join(dest, '.synclog-receiver'))).sort()).toEqual(['cursor.json']);
    }, 120_000);
  }
});
