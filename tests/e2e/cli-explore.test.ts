// `synclog explore` as a user runs it: in a real pseudo-terminal (tmux), keys sent with send-keys, the screen read
// with capture-pane. Also the refusals that need no terminal: a missing log (exit 1), a pipe for stdout (exit 2).
// Needs `npm run build` first (the CLI runs from dist) and tmux on PATH.
import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { appendSteps } from '../unit/explorer/build-log.js';

const exec = promisify(execFile);
/** A tmux server of our own (its own socket), so the test never touches a user's sessions. */
const SOCKET = `synclog-explore-test-${process.pid}`;
const tmux = (...args: string[]) => exec('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

afterAll(async () => {
  await tmux('kill-server').catch(() => {});
});

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

async function screen(session: string, escapes = false): Promise<string> {
  const { stdout } = await tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);
  return stdout;
}

async function waitForScreen(session: string, predicate: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await screen(session).catch(() => text);
    if (predicate(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
}

/** Sends keys one at a time: a terminal user never delivers "G" and "Enter" in one read. */
async function keys(session: string, ...names: string[]): Promise<void> {
  for (const name of names) {
    await tmux('send-keys', '-t', session, name);
    await new Promise((r) => setTimeout(r, 60));
  }
}

async function startExplore(session: string, logDir: string, exitFile: string, env = '') {
  const command = `${env} ${quote(process.execPath)} ${quote(CLI)} explore --log ${quote(logDir)}; echo $? > ${quote(exitFile)}`;
  await tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', command);
}

/** The explorer's exit code, once the shell around it has written it (10 s at most). */
async function exitCodeOf(exitFile: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  let code = '';
  while (Date.now() < deadline && code === '') {
    code = (await readFile(exitFile, 'utf8').catch(() => '')).trim();
    if (code === '') await new Promise((r) => setTimeout(r, 100));
  }
  return code;
}

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
