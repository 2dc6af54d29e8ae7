// A real pseudo-terminal for e2e tests of `synclog explore` (tmux): keys sent with send-keys, the screen read with
// capture-pane. Each TmuxTerminal runs its own tmux server (its own socket), so a test never touches a user's
// sessions; kill() ends that server and everything in it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CLI } from './run-cli.js';

const exec = promisify(execFile);

export const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export class TmuxTerminal {
  constructor(private readonly socket: string) {}

  tmux(...args: string[]): Promise<{ stdout: string }> {
    return exec('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => {});
  }

  async screen(session: string, escapes = false): Promise<string> {
    const { stdout } = await this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);
    return stdout;
  }

  async waitForScreen(session: string, predicate: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = await this.screen(session).catch(() => text);
      if (predicate(text)) return text;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
  }

  /** Sends keys one at a time: a terminal user never delivers "G" and "Enter" in one read. */
  async keys(session: string, ...names: string[]): Promise<void> {
    for (const name of names) {
      await this.tmux('send-keys', '-t', session, name);
      await new Promise((r) => setTimeout(r, 60));
    }
  }

  /**
   * Starts `synclog explore --log LOG [extra…]` in a 100x30 session; its exit code goes to `exitFile` (and its
   * stderr to `stderrFile`, when given: the session closes when the command ends, taking the screen with it).
   */
  async startExplore(session: string, logDir: string, exitFile: string, options: { env?: string; args?: string[]; stderrFile?: string } = {}): Promise<void> {
    const extra = (options.args ?? []).map(shellQuote).join(' ');
    const stderr = options.stderrFile ? ` 2> ${shellQuote(options.stderrFile)}` : '';
    const command = `${options.env ?? ''} ${shellQuote(process.execPath)} ${shellQuote(CLI)} explore --log ${shellQuote(logDir)} ${extra}${stderr}; echo $? > ${shellQuote(exitFile)}`;
    await this.tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', command);
  }
}

/** The explorer's exit code, once the shell around it has written it (10 s at most). */
export async function exitCodeOf(exitFile: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  let code = '';
  while (Date.now() < deadline && code === '') {
    code = (await readFile(exitFile, 'utf8').catch(() => '')).trim();
    if (code === '') await new Promise((r) => setTimeout(r, 100));
  }
  return code;
}
