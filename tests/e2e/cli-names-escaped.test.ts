// Issue 13 item 8 "names are data, not terminal commands": a file named with `ESC [2J` or a newline is shown escaped
// by every human output (no raw ESC, no forged line), while --json keeps the exact name. Plus the rough edges:
// a deletion shows no size, and `log` keeps its columns on renames.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const CLEAR = 'clear\u001b[2Jscreen';
const FORGE = 'line1\ncreated  forged.txt';
const BIDI = 'bidi\u202etxt.exe';

function expectNoRawNames(text: string): void {
  expect(text).not.toContain('\u001b');
  expect(text).not.toContain('\u202e');
  expect(text).not.toMatch(/^created +forged\.txt/m);
}

describe('cli: names are data, not terminal commands', () => {
  it('snapshot, log, history, stats, verify, export and import escape names; --json keeps them exact', async () => {
    const tmp = await makeTmpDir();
    const src = join(tmp, 'src');
    const log = join(tmp, 'log');
    await mkdir(src);
    for (const name of [CLEAR, FORGE, BIDI]) await writeFile(join(src, name), 'x');
    const snap = await runCli(['snapshot', src, '--log', log]);
    expect(snap.code).toBe(0);
    const logText = await runCli(['log', '--log', log]);
    expect(logText.code).toBe(0);
    expectNoRawNames(logText.stdout + logText.stderr);
    expect(logText.stdout).toContain('"src/clear\\x1b[2Jscreen"');
    expect(logText.stdout).toContain('"src/line1\\ncreated  forged.txt"');
    expect(logText.stdout).toContain('"src/bidi\\u{202e}txt.exe"');
    expect(logText.stdout.trim().split('\n')).toHaveLength(3);
    const logJson = JSON.parse((await runCli(['log', '--log', log, '--json'])).stdout) as { path: string }[];
    expect(logJson.map((e) => e.path).sort()).toEqual([`src/${BIDI}`, `src/${CLEAR}`, `src/${FORGE}`].sort());
    const history = await runCli(['history', `src/${FORGE}`, '--log', log]);
    expect(history.code).toBe(0);
    expectNoRawNames(history.stdout + history.stderr);
    expect(history.stdout.trim().split('\n')).toHaveLength(1);
    // An error message that embeds a name: escaped in text, exact in JSON.
    const missing = await runCli(['history', `src/${CLEAR}.gone`, '--log', log]);
    expect(missing.code).toBe(1);
    expectNoRawNames(missing.stdout + missing.stderr);
    expect(missing.stderr).toContain('\\x1b[2J');
    const missingJson = JSON.parse((await runCli(['history', `src/${CLEAR}.gone`, '--log', log, '--json'])).stdout) as { error: { message: string } };
    expect(missingJson.error.message).toContain(CLEAR);
    for (const args of [['stats', '--log', log], ['verify', '--log', log]]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expectNoRawNames(r.stdout + r.stderr);
    }
    const archive = join(tmp, `arch\u001b[2J.tar.gz`);
    const exported = await runCli(['export', '--all', '-o', archive, '--log', log]);
    expect(exported.code).toBe(0);
    expectNoRawNames(exported.stdout + exported.stderr);
    const imported = await runCli(['import', archive, '--log', join(tmp, 'log2')]);
    expect(imported.code).toBe(0);
    expectNoRawNames(imported.stdout + imported.stderr);
    expect(imported.stdout).toContain('\\x1b[2J');
  }, 60_000);

  it('log: a deletion shows no size, and the path column lines up on renames', async () => {
    const tmp = await makeTmpDir();
    const src = join(tmp, 'src');
    const log = join(tmp, 'log');
    await mkdir(src);
    await writeFile(join(src, 'a.txt'), 'hello');
    await runCli(['snapshot', src, '--log', log]);
    await rename(join(src, 'a.txt'), join(src, 'b.txt'));
    await runCli(['snapshot', src, '--log', log]);
    await rm(join(src, 'b.txt'));
    await runCli(['snapshot', src, '--log', log]);
    const lines = (await runCli(['log', '--log', log])).stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line).not.toContain('0 B');
    const columns = lines.map((line) => line.search(/src\/[ab]\.txt/));
    expect(new Set(columns).size).toBe(1);
    expect(lines.some((line) => /src\/b\.txt \(from src\/a\.txt\)$/.test(line))).toBe(true);
  }, 60_000);
});
