// Runs the programs being measured (synclog's CLI, restic, borg, git, rsync) as child processes and times them.
// Never runs through a shell: arguments are passed as a list, so corpus paths need no quoting.
// Invariant: a timed run ends only when its data is on disk: `timedRun` follows the tool with `sync`, so a tool
// that skips fsync by default (git's loose objects, rsync) is not credited with writes still in the page cache.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the process alone. */
  seconds: number;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Bytes of stdout/stderr kept (the rest is dropped: peers can be chatty). */
  outputBytesMax?: number;
}

const OUTPUT_BYTES_MAX_DEFAULT = 1024 * 1024;

export class RunFailedError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    // Node exits with 13 when the event loop empties while the top-level await is still pending: name it, since such a
    // process often prints nothing at all.
    const hint = result.code === 13 ? ' (Node: unsettled top-level await, the process ran out of work with a promise pending)' : '';
    super(`${command} exited with ${result.code}${hint}: ${(result.stderr || result.stdout).trim().slice(-600)}`);
    this.name = 'RunFailedError';
  }
}

/** Runs a program and resolves with its output and wall time (never rejects on a non-zero exit). */
export function runProgram(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const keep = options.outputBytesMax ?? OUTPUT_BYTES_MAX_DEFAULT;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      if (stdout.length < keep) stdout += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      if (stderr.length < keep) stderr += data.toString();
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Runs a program and throws RunFailedError unless it exits 0 (or with one of `okCodes`). */
export async function runChecked(program: string, args: readonly string[], options: RunOptions & { okCodes?: number[] } = {}): Promise<RunResult> {
  const result = await runProgram(program, args, options);
  const ok = options.okCodes ?? [0];
  if (result.code === null || !ok.includes(result.code)) {
    // Short label for the table: "synclog snapshot", "restic backup" (full paths would crowd out the reason).
    const label = program === process.execPath ? `synclog ${args[1] ?? ''}` : `${program} ${args.find((arg) => !arg.startsWith('-')) ?? ''}`;
    throw new RunFailedError(label.trim(), result);
  }
  return result;
}

/** Flushes every dirty page to disk (the system-wide `sync`). */
export async function syncDisks(): Promise<number> {
  return (await runChecked('sync', [])).seconds;
}

/**
 * Times `body` (one or more tool invocations) until its writes are durable: body's time plus a trailing `sync`.
 * Returns seconds.
 */
export async function timedRun(body: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await body();
  await syncDisks();
  return (performance.now() - started) / 1000;
}
