// Runs the built CLI (bin/synclog.js → dist/) as a user would, in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'synclog.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, SYNCLOG_NO_PROGRESS: '1', NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Starts a long-running CLI command (watch, receive) and returns the child; the caller stops it. */
export function spawnCli(args: string[], options: RunCliOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, SYNCLOG_NO_PROGRESS: '1', NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first line of the child's `stream` matching `pattern` (or rejects after timeoutMs). */
function waitForStreamLine(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs: number): Promise<string> {
  const source = child[stream];
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      source?.off('data', onData);
      reject(new Error(`timed out waiting for ${pattern}; ${stream} so far:\n${buffer}`));
    }, timeoutMs);
    const onData = (data: Buffer) => {
      buffer += data.toString();
      const line = buffer.split('\n').find((l) => pattern.test(l));
      if (line === undefined) return;
      clearTimeout(timer);
      source?.off('data', onData);
      resolve(line);
    };
    source?.on('data', onData);
  });
}

/** Resolves with the first stdout line matching `pattern` (or rejects after timeoutMs). */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return waitForStreamLine(child, 'stdout', pattern, timeoutMs);
}

/** The child's exit code once it has exited (at once if it already has; null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (code) => resolve(code))));
}

/** Resolves with the first stderr line matching `pattern` (`synclog run` logs there), or rejects after timeoutMs. */
export function waitForStderrLine(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return waitForStreamLine(child, 'stderr', pattern, timeoutMs);
}
