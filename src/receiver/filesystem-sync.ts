// syncfs(2) of the destination's filesystem, which Node does not expose: coreutils `sync -f <dir>`. Run through one
// small `sh` started per session that runs `sync -f` for each request line and answers `ok` or `fail <status>`:
// spawning from the receiver itself forks a large process (measured ~15 ms of main thread per spawn), the shell's
// fork is cheap.
// Owns the helper process (started by `start`, ended by `close`, and on its own when the receiver dies: stdin EOF).
// Never writes anything: a sync only flushes what is already written.
// Invariant: `sync()` resolves only when a `sync -f` that started after the call exited 0; anything else (non-zero
// status, the helper gone) rejects with IoError.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Socket } from 'node:net';
import { IoError } from '../errors.js';

const SCRIPT = 'while read -r _; do if sync -f -- "$1" 2>/dev/null; then echo ok; else echo "fail $?"; fi; done';

export class FilesystemSync {
  private readonly waiting: { resolve(): void; reject(error: unknown): void }[] = [];
  private buffered = '';
  private gone: IoError | undefined;

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => this.onOutput(text));
    const lost = (why: string) => this.fail(new IoError(`sync -f helper for ${dir} ${why}`, { op: 'syncfs', path: dir }));
    child.on('error', (error) => lost(`failed: ${error.message}`));
    child.on('exit', (code, signal) => lost(`exited (${signal ?? code})`));
    child.stdin.on('error', () => {}); // reported through 'exit'
    this.unref();
  }

  /** Starts the helper and runs one sync: undefined when `sync -f` does not work here (the caller fsyncs per file). */
  static async start(dir: string): Promise<FilesystemSync | undefined> {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn('sh', ['-c', SCRIPT, 'sh', dir], { stdio: 'pipe' });
    } catch {
      return undefined;
    }
    const helper = new FilesystemSync(dir, child);
    try {
      await helper.sync();
      return helper;
    } catch {
      helper.close();
      return undefined;
    }
  }

  /** One syncfs of the filesystem holding `dir`. Requests are answered in order. */
  sync(): Promise<void> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) this.ref();
      this.waiting.push({ resolve, reject });
      this.child.stdin.write('\n');
    });
  }

  close(): void {
    this.gone ??= new IoError(`sync -f helper for ${this.dir} closed`, { op: 'syncfs', path: this.dir });
    this.child.stdin.end();
    this.fail(this.gone);
  }

  private onOutput(text: string): void {
    this.buffered += text;
    let end: number;
    while ((end = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      const waiter = this.waiting.shift();
      if (!waiter) continue;
      if (line === 'ok') waiter.resolve();
      else waiter.reject(new IoError(`sync -f failed for ${this.dir}: ${line}`, { op: 'syncfs', path: this.dir, status: line.split(' ')[1] }));
    }
    if (this.waiting.length === 0) this.unref();
  }

  private fail(error: IoError): void {
    this.gone ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }

  /** While no sync is pending, the helper does not keep the process alive. */
  private unref(): void {
    this.child.unref();
    handleOf(this.child.stdin)?.unref();
    handleOf(this.child.stdout)?.unref();
  }

  private ref(): void {
    this.child.ref();
    handleOf(this.child.stdin)?.ref();
    handleOf(this.child.stdout)?.ref();
  }
}

/** The pipes of a child are sockets at run time, though typed as plain streams; only a socket can be (un)ref'd. */
function handleOf(stream: unknown): { ref(): void; unref(): void } | undefined {
  return stream instanceof Socket ? stream : undefined;
}
