// The CLI's frame as a user meets it: help lists every command, bad arguments exit 2, and a reader that closes
// the pipe early (`synclog --help | head -1`) gets no stack trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.js';

const COMMANDS = ['checkout', 'explore', 'export', 'history', 'import', 'log', 'receive', 'restore', 'snapshot', 'stats', 'verify', 'watch'];

describe('synclog (frame)', () => {
  it('--help lists every command and exits 0; each command has its own --help', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const name of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const sub = await runCli(['receive', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--mode');
  });

  it('--version and -V print the package version and exit 0, with no command module loaded', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const shown = await runCli([flag]);
      expect(shown.code, flag).toBe(0);
      expect(shown.stdout.trim()).toBe(version);
    }
    // Followed by more words it is not the flag alone, so every module is loaded; commander still answers the version.
    const extra = await runCli(['--version', 'nonsense']);
    expect(extra.stdout.trim()).toBe(version);
  });

  it('each command works when it is the only module loaded (main.ts loads just the one argv names)', async () => {
    const helps = await Promise.all(COMMANDS.map((name) => runCli([name, '--help'])));
    for (const [i, name] of COMMANDS.entries()) {
      expect(helps[i]!.code, name).toBe(0);
      expect(helps[i]!.stdout).toMatch(new RegExp(`^Usage: synclog ${name} `, 'm'));
    }
    // `help <command>` is commander's own command, so every module is loaded for it.
    const viaHelp = await runCli(['help', 'checkout']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toMatch(/^Usage: synclog checkout /m);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['verify', '--no-such-option'])).code).toBe(2);
  });

  it('stops quietly when stdout is closed early', () => {
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" --help | head -1`], { encoding: 'utf8' });
    expect(result.stdout).toMatch(/^Usage: synclog/);
    expect(result.stderr).not.toMatch(/EPIPE|Error/);
  });
});
