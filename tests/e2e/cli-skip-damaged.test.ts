// Issue 13 item 5 through the CLI: a `synclog snapshot` log of a small tree with one byte flipped inside one chunk
// record of a multi-chunk file. Without --skip-damaged every read command stops (exit 1) and says how to go on; with
// it the command does all it can: intact files are produced equal to the source, the damaged file is named and not
// written, each skipped region is listed (stderr, or `skipped` in --json), and the exit code is 1.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDamagedStore, type DamagedStoreFixture, type DamageShape } from '../helpers/damaged-store.js';
import { runCli, spawnCli, waitForLine } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { exitCodeOf, TmuxTerminal } from '../helpers/tmux-terminal.js';

/** explore needs a real terminal: a tmux server of this file's own (cli-explore.test.ts does the same). */
const terminal = new TmuxTerminal(`synclog-skip-damaged-test-${process.pid}`);
afterAll(async () => {
  await terminal.kill();
});

async function fixture(shape: DamageShape = 'frame'): Promise<DamagedStoreFixture> {
  return makeDamagedStore(async (root, logDir) => {
    const result = await runCli(['snapshot', root, '--log', logDir, '--json']);
    expect(result.code, result.stderr).toBe(0);
  }, shape);
}

const SKIPPED_LINE = /skipped damaged records: segment \d+\.seg bytes \d+-\d+ \(seq \d+(-\d+)?\): .*checksum/;

function expectRefusal(result: { code: number | null; stderr: string }): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/damaged/);
  expect(result.stderr).toContain('--skip-damaged');
}

function expectSkippedJson(skipped: unknown, f: DamagedStoreFixture): void {
  expect(skipped).toEqual([expect.objectContaining({ segment: f.damagedAt.segment, offset: f.damagedAt.offset, seqFrom: f.damagedAt.seq, seqTo: f.damagedAt.seq })]);
}

describe('cli skip damaged (--skip-damaged)', () => {
  it('history, log and stats: refuse without the flag, read past the damage with it (text and --json), exit 1', async () => {
    const f = await fixture();
    const path = `tree/sub/c.txt`;
    for (const args of [['history', path], ['log'], ['stats']]) {
      expectRefusal(await runCli([...args, '--log', f.logDir]));
      const text = await runCli([...args, '--log', f.logDir, '--skip-damaged']);
      expect(text.code, text.stderr).toBe(1);
      expect(text.stderr).toMatch(SKIPPED_LINE);
      const json = await runCli([...args, '--log', f.logDir, '--skip-damaged', '--json']);
      expect(json.code, json.stderr).toBe(1);
      expectSkippedJson((JSON.parse(json.stdout) as { skipped: unknown }).skipped, f);
    }
    const log = await runCli(['log', '--log', f.logDir, '--skip-damaged', '--json']);
    const changes = (JSON.parse(log.stdout) as { changes: { path: string }[] }).changes.map((c) => c.path);
    for (const file of f.files.keys()) expect(changes).toContain(`tree/${file}`);
    const history = await runCli(['history', path, '--log', f.logDir, '--skip-damaged']);
    expect(history.stdout).toMatch(/created/);
  });

  it('checkout: the intact files are written equal to the source, the damaged one is named and not written', async () => {
    const f = await fixture();
    const plainOut = join(await makeTmpDir(), 'out');
    expectRefusal(await runCli(['checkout', '--log', f.logDir, '--out', plainOut, '--at', 'now']));
    const out = join(await makeTmpDir(), 'out');
    const result = await runCli(['checkout', '--log', f.logDir, '--out', out, '--at', 'now', '--skip-damaged']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(SKIPPED_LINE);
    expect(result.stderr).toContain(`not written: tree/${f.victim} (version ${f.victimVersionId})`);
    for (const [file, data] of f.files) {
      if (file === f.victim) continue;
      expect((await readFile(join(out, 'tree', file))).equals(data), file).toBe(true);
    }
    expect(await readdir(join(out, 'tree'))).not.toContain(f.victim);
    const jsonOut = join(await makeTmpDir(), 'out');
    const json = await runCli(['checkout', '--log', f.logDir, '--out', jsonOut, '--at', 'now', '--skip-damaged', '--json']);
    expect(json.code, json.stderr).toBe(1);
    const body = JSON.parse(json.stdout) as { ok: boolean; skipped: unknown; unreadable: { path: string; versionId: string }[] };
    expect(body.ok).toBe(false);
    expectSkippedJson(body.skipped, f);
    expect(body.unreadable).toEqual([expect.objectContaining({ path: `tree/${f.victim}`, versionId: f.victimVersionId })]);
  });

  it('export --all: the archive holds every intact file and leaves the damaged one out (named)', async () => {
    const f = await fixture();
    const dir = await makeTmpDir();
    expectRefusal(await runCli(['export', '--all', '-o', join(dir, 'plain.tar.gz'), '--log', f.logDir]));
    const archive = join(dir, 'all.tar.gz');
    const result = await runCli(['export', '--all', '-o', archive, '--log', f.logDir, '--skip-damaged', '--json']);
    expect(result.code, result.stderr).toBe(1);
    const body = JSON.parse(result.stdout) as { skipped: unknown; unreadable: { path: string; versionId: string }[] };
    expectSkippedJson(body.skipped, f);
    expect(body.unreadable).toEqual([expect.objectContaining({ path: `tree/${f.victim}`, versionId: f.victimVersionId })]);
    const unpacked = join(dir, 'x');
    await mkdir(unpacked);
    const tar = spawnSync('tar', ['xzf', archive, '-C', unpacked]);
    expect(tar.status, String(tar.stderr)).toBe(0);
    for (const [file, data] of f.files) {
      if (file === f.victim) continue;
      expect((await readFile(join(unpacked, 'tree', file))).equals(data), file).toBe(true);
    }
    expect(await readdir(join(unpacked, 'tree'))).not.toContain(f.victim);
    // The archive imports into a clean log (the way out verify names).
    const imported = await runCli(['import', archive, '--log', join(dir, 'newlog'), '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const verify = await runCli(['verify', '--log', join(dir, 'newlog')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('verify names the affected versions and what to do (text and --json)', async () => {
    const f = await fixture();
    const text = await runCli(['verify', '--log', f.logDir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(SKIPPED_LINE);
    expect(text.stdout).toMatch(new RegExp(`affected versions \\(content not intact, 1\\):\\n  tree/${f.victim}  version ${f.victimVersionId}`));
    expect(text.stdout).toContain('synclog export --all --skip-damaged -o FILE, then synclog import FILE --log NEWLOG');
    const json = await runCli(['verify', '--log', f.logDir, '--json']);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout) as { ok: boolean; damage: { skipped: unknown; affectedVersions: unknown; fix: string } };
    expect(body.ok).toBe(false);
    expectSkippedJson(body.damage.skipped, f);
    expect(body.damage.affectedVersions).toEqual([{ path: `tree/${f.victim}`, versionId: f.victimVersionId, missingChunks: 1 }]);
    expect(body.damage.fix).toContain('--skip-damaged');
  });
  it('receive --once (both modes): refuses without the flag (cursor before the damage); with it applies every intact version, names the unreadable one, exits 1', async () => {
    const f = await fixture();
    for (const mode of ['latest', 'all-versions']) {
      const plain = join(await makeTmpDir(), 'out');
      expectRefusal(await runCli(['receive', '--once', '--mode', mode, '--log', f.logDir, '--out', plain]));
      expect(await cursorSeq(plain), mode).toBeLessThanOrEqual(f.damagedAt.seq);
      const out = join(await makeTmpDir(), 'out');
      const text = await runCli(['receive', '--once', '--mode', mode, '--log', f.logDir, '--out', out, '--skip-damaged']);
      expect(text.code, text.stderr).toBe(1);
      expect(text.stdout).toMatch(/1 damaged region skipped, 1 version unreadable/);
      expect(text.stderr).toMatch(SKIPPED_LINE);
      expect(text.stderr).toContain(`not written: tree/${f.victim} (version ${f.victimVersionId})`);
      await expectIntactTree(out, f);
      // The cursor moved past the damage (asked for): a second run has nothing left to skip and exits 0.
      expect(await cursorSeq(out), mode).toBeGreaterThan(f.damagedAt.seq);
      const again = await runCli(['receive', '--once', '--mode', mode, '--log', f.logDir, '--out', out, '--skip-damaged', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, skipped: [], unreadable: [] });
      // Without the flag the reader still stops where it reads across the damage (docs/receiver.md says so).
      expectRefusal(await runCli(['receive', '--once', '--mode', mode, '--log', f.logDir, '--out', out]));
      const jsonOut = join(await makeTmpDir(), 'out');
      const json = await runCli(['receive', '--once', '--mode', mode, '--log', f.logDir, '--out', jsonOut, '--skip-damaged', '--json']);
      expect(json.code, json.stderr).toBe(1);
      const body = JSON.parse(json.stdout) as { ok: boolean; skipped: unknown; unreadable: unknown };
      expect(body.ok).toBe(false);
      expectSkippedJson(body.skipped, f);
      expect(body.unreadable).toEqual([expect.objectContaining({ path: `tree/${f.victim}`, versionId: f.victimVersionId })]);
    }
  });

  it('receive (following) --skip-damaged: reports the skipped region and the unreadable version live, runs until SIGTERM, then exits 1', async () => {
    const f = await fixture();
    const out = join(await makeTmpDir(), 'out');
    const child = spawnCli(['receive', '--log', f.logDir, '--out', out, '--skip-damaged', '--json']);
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    try {
      const [skippedLine, unreadableLine, caughtUpLine] = await Promise.all([
        waitForLine(child, /"event":"skipped"/),
        waitForLine(child, /"event":"unreadable"/),
        waitForLine(child, /"event":"caught-up"/),
      ]);
      expect(JSON.parse(skippedLine)).toMatchObject({ segment: f.damagedAt.segment, offset: f.damagedAt.offset });
      expect(JSON.parse(unreadableLine)).toMatchObject({ path: `tree/${f.victim}`, versionId: f.victimVersionId });
      const caughtUp = JSON.parse(caughtUpLine) as { skipped: unknown; unreadable: unknown[] };
      expectSkippedJson(caughtUp.skipped, f);
      expect(caughtUp.unreadable).toHaveLength(1);
      await expectIntactTree(out, f);
      const stopped = waitForLine(child, /"event":"stopped"/);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, stderr).toBe(1);
      expect((JSON.parse(await stopped) as { unreadable: unknown[] }).unreadable).toHaveLength(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // The same as text: one stderr line each as they are met, counted in the caught-up and stopped lines.
    const textOut = join(await makeTmpDir(), 'out');
    const text = spawnCli(['receive', '--log', f.logDir, '--out', textOut, '--skip-damaged']);
    let textErr = '';
    text.stderr?.on('data', (d) => (textErr += d));
    try {
      expect(await waitForLine(text, /^caught up: /)).toContain('1 damaged region skipped, 1 version unreadable');
      // stderr and stdout are two pipes: the lines written before caught-up may still be on their way.
      const notWritten = `not written: tree/${f.victim} (version ${f.victimVersionId})`;
      await waitFor(() => SKIPPED_LINE.test(textErr) && textErr.includes(notWritten), 'the damage lines on stderr', 20_000, 50, () => textErr);
      const stopped = waitForLine(text, /^stopped: /);
      text.kill('SIGTERM');
      const [code] = (await once(text, 'exit')) as [number | null];
      expect(code, textErr).toBe(1);
      expect(await stopped).toContain('1 damaged region skipped');
    } finally {
      if (text.exitCode === null) text.kill('SIGKILL');
    }
  });
  it('a chunk whose frame verifies but whose content hash fails: export and receive --skip-damaged name that version and carry on', async () => {
    const f = await fixture('content');
    const dir = await makeTmpDir();
    const archive = join(dir, 'all.tar.gz');
    const exported = await runCli(['export', '--all', '-o', archive, '--log', f.logDir, '--skip-damaged', '--json']);
    expect(exported.code, exported.stderr).toBe(1);
    const body = JSON.parse(exported.stdout) as { ok: boolean; skipped: unknown[]; unreadable: { path: string; versionId: string; reason: string }[] };
    expect(body.ok).toBe(false);
    expect(body.skipped).toEqual([]);
    expect(body.unreadable).toEqual([expect.objectContaining({ path: `tree/${f.victim}`, versionId: f.victimVersionId })]);
    expect(body.unreadable[0]!.reason).toMatch(/hash|content/i);
    const unpacked = join(dir, 'x');
    await mkdir(unpacked);
    const tar = spawnSync('tar', ['xzf', archive, '-C', unpacked]);
    expect(tar.status, String(tar.stderr)).toBe(0);
    await expectIntactTree(unpacked, f);
    const text = await runCli(['export', '--all', '-o', join(dir, 'text.tar.gz'), '--log', f.logDir, '--skip-damaged']);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stderr).toContain(`not written: tree/${f.victim} (version ${f.victimVersionId})`);
    for (const mode of ['latest', 'all-versions']) {
      const out = join(await makeTmpDir(), 'out');
      expect((await runCli(['receive', '--once', '--mode', mode, '--log', f.logDir, '--out', join(await makeTmpDir(), 'plain')])).code, mode).toBe(1);
      const received = await runCli(['receive', '--once', '--mode', mode, '--log', f.logDir, '--out', out, '--skip-damaged', '--json']);
      expect(received.code, received.stderr).toBe(1);
      const summary = JSON.parse(received.stdout) as { skipped: unknown[]; unreadable: unknown[] };
      expect(summary.skipped).toEqual([]);
      expect(summary.unreadable).toEqual([expect.objectContaining({ path: `tree/${f.victim}`, versionId: f.victimVersionId })]);
      await expectIntactTree(out, f);
    }
  });
  it('explore: refuses without the flag (exit 1, naming the damage); with --skip-damaged shows the count, and restoring the unreadable version is an error on screen, not a crash or a bad file', async () => {
    const f = await fixture();
    const dir = await makeTmpDir();
    const plainExit = join(dir, 'plain-exit');
    const plainErr = join(dir, 'plain-stderr');
    await terminal.startExplore('plain', f.logDir, plainExit, { env: 'NO_COLOR=1', stderrFile: plainErr });
    expect(await exitCodeOf(plainExit)).toBe('1');
    expectRefusal({ code: 1, stderr: await readFile(plainErr, 'utf8') });

    const exitFile = join(dir, 'exit');
    await terminal.startExplore('skip', f.logDir, exitFile, { env: 'NO_COLOR=1', args: ['--skip-damaged'] });
    const first = await terminal.waitForScreen('skip', (s) => s.includes('big.bin') && s.includes('Read past'), 'the path tree and the damage notice');
    expect(first).toMatch(/synclog explore \(1 damaged region skipped\)/);
    expect(first).toContain('Read past 1 damaged region');
    await terminal.keys('skip', '/', 'b', 'i', 'g', 'Enter', 'G');
    await terminal.waitForScreen('skip', (s) => /^>\s+big\.bin/m.test(s), 'the cursor on big.bin');
    await terminal.keys('skip', 'Enter');
    await terminal.waitForScreen('skip', (s) => s.includes('VERSION') && s.includes(f.victimVersionId), 'the versions');
    await terminal.keys('skip', 'r');
    await terminal.waitForScreen('skip', (s) => s.includes('OVERWRITES'), 'the restore confirmation');
    await terminal.keys('skip', 'y');
    const failed = await terminal.waitForScreen('skip', (s) => /Not readable, the log is damaged here \(chunk-in-skipped-region at /.test(s.split('\n').filter((l) => l.trim() !== '').at(-1) ?? ''), 'the restore error');
    expect(failed).not.toContain('Restored');
    // The file at the original place is untouched (a failed restore writes nothing), and the explorer still runs.
    expect((await readFile(join(f.root, f.victim))).equals(f.files.get(f.victim)!)).toBe(true);
    await terminal.keys('skip', 'Escape', 'Escape', 'q');
    expect(await exitCodeOf(exitFile)).toBe('0');
  });
});

async function cursorSeq(out: string): Promise<number> {
  const cursor = JSON.parse(await readFile(join(out, '.synclog-receiver', 'cursor.json'), 'utf8').catch(() => '{"nextSeq":0}')) as { nextSeq: number };
  return cursor.nextSeq;
}

async function expectIntactTree(out: string, f: DamagedStoreFixture): Promise<void> {
  for (const [file, data] of f.files) {
    if (file === f.victim) continue;
    expect((await readFile(join(out, 'tree', file))).equals(data), file).toBe(true);
  }
  expect(await readdir(join(out, 'tree'))).not.toContain(f.victim);
}
