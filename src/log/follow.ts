// Waking followers when the log may have changed: a generation counter bumped by fs.watch on the log directory
// (another process appends or rolls) or by the writer's own 'durable' event, with a slow fallback poll for file
// systems where fs.watch is silent (network mounts). Never busy-polls: a follower sleeps until a bump, the poll
// interval, or its abort signal. Owns one fs.watch handle per Log, started with the first follower, closed with
// the last.
import { watch, type FSWatcher } from 'node:fs';
import { LOG_LIMITS } from '../util/limits.js';

export class ChangeSignal {
  private generationCount = 0;
  private readonly sleepers = new Set<() => void>();
  private watcher: FSWatcher | undefined;
  private followers = 0;

  constructor(
    private readonly dir: string,
    /** Watch the directory (read-only logs); a writer bumps instead. */
    private readonly watchDir: boolean,
  ) {}

  get generation(): number {
    return this.generationCount;
  }

  /** True while the directory watch runs: every change to the directory then starts a new generation (tail-views.ts). */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  bump(): void {
    this.generationCount++;
    for (const wake of [...this.sleepers]) wake();
  }

  /** A follower starts: the first one starts the directory watch. */
  enter(): void {
    this.followers++;
    if (this.followers === 1 && this.watchDir && !this.watcher) {
      try {
        this.watcher = watch(this.dir, { persistent: true }, () => this.bump());
        this.watcher.on('error', () => this.stopWatching());
      } catch {
        // No fs.watch here (or the directory is gone): the fallback poll still wakes followers.
        this.watcher = undefined;
      }
    }
  }

  leave(): void {
    this.followers = Math.max(0, this.followers - 1);
    if (this.followers === 0) this.stopWatching();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Sleeps until the generation moves past `since`, the fallback poll interval passes, or `signal` aborts. */
  wait(since: number, signal?: AbortSignal, pollMs: number = LOG_LIMITS.followPollMs): Promise<void> {
    if (this.generationCount !== since || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      // A poll's wake starts a new generation (without waking the others): where fs.watch is silent (a network
      // mount), nothing else would say that what readers learned of the directory before it may be stale.
      const timer = setTimeout(() => {
        this.generationCount++;
        done();
      }, pollMs);
      this.sleepers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.stopWatching();
    this.bump();
  }
}
