// `synclog explore` as a user runs it: in a real pseudo-terminal (tmux), keys sent with send-keys, the screen read
// with capture-pane. Also the refusals that need no terminal: a missing log (exit 1), a pipe for stdout (exit 2).
// Needs `npm run build` first (the CLI runs from dist) and tmux on PATH.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { exitCodeOf, TmuxTerminal } from '../helpers/tmux-terminal.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { appendSteps } from '../unit/explorer/build-log.js';

/** A tmux server of our own (its own socket), so the test never touches a user's sessions. */
const terminal = new TmuxTerminal(`synclog-explore-test-${process.pid}`);
const tmux = (...args: string[]) => terminal.tmux(...args);
const screen = (session: string, escapes = false) => terminal.screen(session, escapes);
const waitForScreen = (session: string, predicate: (text: string) => boolean, what: string) => terminal.waitForScreen(session, predicate, what);
const keys = (session: string, ...names: string[]) => terminal.keys(session, ...names);
const startExplore = (session: string, logDir: string, exitFile: string, env = '') => terminal.startExplore(session, logDir, exitFile, { env });

afterAll(async () => {
  await terminal.kill();
});

async function exampleLog() {
  const dir = await makeTmpDir('synclog-e2e-explore-');
  const root = join(dir, 'root');
  const logDir = join(dir, 'log');
  await mkdir(root);
  await appendSteps(logDir, [
    { watch: 'home', rootPath: root },
    { file: 'home/a/notes.txt', content: 'first draft\n', event: 'created' },
    { file: 'home/a/notes.txt', content: 'second draft\n' },
    { file: 'home/b.txt', content: 'b\n', event: 'created' },
  ]);
  return { dir, root, logDir };
}

describe('synclog explore', () => {
  it('refuses a missing log with a clear message and exit 1', async () => {
    const dir = await makeTmpDir();
    const result = await runCli(['explore', '--log', join(dir, 'nope')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no log at');
    expect(result.stderr).not.toContain('    at ');
  });

  it('refuses a non-interactive stdout, pointing to synclog log / history (exit 2)', async () => {
    const { logDir } = await exampleLog();
    const result = await runCli(['explore', '--log', logDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('synclog log');
    expect(result.stderr).toContain('synclog history');
  });

  it('in a real terminal: navigates to a file, restores an older version over it, quits with 0', async () => {
    const { dir, root, logDir } = await exampleLog();
    const target = join(root, 'a', 'notes.txt');
    await mkdir(join(root, 'a'));
    await writeFile(target, 'unsaved local text\n');
    const exitFile = join(dir, 'exit-code');
    await startExplore('restore', logDir, exitFile, 'NO_COLOR=1');
    await waitForScreen('restore', (s) => s.includes('synclog explore') && s.includes('notes.txt'), 'the path tree');
    await keys('restore', '/', 'n', 'o', 't', 'e', 's', 'Enter', 'G');
    await waitForScreen('restore', (s) => /^>\s+notes\.txt/m.test(s), 'the cursor on notes.txt');
    await keys('restore', 'Enter');
    await waitForScreen('restore', (s) => s.includes('VERSION') && s.includes('created'), 'the versions');
    await keys('restore', 'j', 'r');
    const confirm = await waitForScreen('restore', (s) => s.includes('OVERWRITES'), 'the restore confirmation');
    expect(confirm).toContain('existing file there: 19 B');
    expect(await readFile(target, 'utf8')).toBe('unsaved local text\n');
    await keys('restore', 'y');
    await waitForScreen('restore', (s) => s.includes('Restored home/a/notes.txt'), 'the restore');
    expect(await readFile(target, 'utf8')).toBe('first draft\n');
    // NO_COLOR: nothing on screen carries a colour attribute.
    expect(await screen('restore', true)).not.toMatch(/\u001b\[[0-9;]*(3[0-7]|9[0-7]|38;)/);
    await keys('restore', 'q');
    expect(await exitCodeOf(exitFile)).toBe('0');
  });

  it('in a real terminal: colours by default, shows new versions live, re-lays out on resize to 80x24', async () => {
    const { dir, logDir } = await exampleLog();
    await startExplore('resize', logDir, join(dir, 'exit-code'), 'TERM=xterm-256color');
    await waitForScreen('resize', (s) => s.includes('notes.txt'), 'the path tree');
    // Another process appends while the explorer runs (it holds no lock): the new path appears without a restart.
    await appendSteps(logDir, [{ file: 'home/arrived-live.txt', content: 'new\n', event: 'created' }]);
    await waitForScreen('resize', (s) => s.includes('arrived-live.txt'), 'the live path');
    expect(await screen('resize', true)).toMatch(/\u001b\[[0-9;]*m/);
    await tmux('resize-window', '-t', 'resize', '-x', '80', '-y', '24');
    const small = await waitForScreen('resize', (s) => s.split('\n').every((l) => l.length <= 80) && s.includes('Enter versions'), 'the 80-column layout');
    expect(small.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(24);
    await keys('resize', 'q');
    // Waited for, not left running: the shell writes the exit code into the test's folder as it is being removed.
    expect(await exitCodeOf(join(dir, 'exit-code'))).toBe('0');
  });
});
