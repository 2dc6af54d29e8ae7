// What a following reader asks of the log directory when it reaches the end of what it has read: the durable floor,
// the segment listing and its segment's size, read in that order (log-reader.ts whereNext depends on the order: a
// floor read first covers only what the files held before it; a writer finishes a segment before it creates the
// next, so a size read after the listing is final when a later segment is listed). One wake of the directory watch
// wakes every follower of the Log at once (a server with 20 followers): each listed the directory and fstat'ed its
// segment, 20 times per change (a fifth of serve's CPU). Owns sharing one answer per segment file among the readers
// of one change generation. Never shares across generations (a fallback poll's wake starts a new one too, for a
// watch that is silent: follow.ts), and never without the directory watch.
// Why that is sound: a view is taken after its generation began; anything that changes the directory or a segment
// after it was taken is a change the watch reports, which starts a new generation and wakes every reader that went to
// sleep on the old one. A reader using a view taken a little before its own turn can only see less, and it then
// sleeps until the next generation, as it would have after reading the directory itself a little earlier. Without a
// watch (a file system where fs.watch is silent) nothing says a view went stale, so every reader reads its own.
import type { FileHandle } from 'node:fs/promises';
import type { ChangeSignal } from './follow.js';
import { listSegments, type SegmentRef } from './segment-file.js';

export interface TailView {
  /** The durable floor (records below it were durable), read first. */
  floor: number | undefined;
  segments: SegmentRef[];
  /** The segment file's size, read last. */
  size: number;
}

export class TailViews {
  private generation = -1;
  /** Views of the current generation, by segment file identity (device:inode). */
  private readonly views = new Map<string, Promise<TailView>>();

  constructor(
    private readonly dir: string,
    private readonly changes: ChangeSignal,
    private readonly floor: () => number | undefined,
  ) {}

  /** The view for the segment file `identity`, whose size is read through `handle` when this reader loads it. */
  view(identity: string, handle: FileHandle): Promise<TailView> {
    if (!this.changes.watching) return this.load(handle);
    const generation = this.changes.generation;
    if (generation !== this.generation) {
      this.views.clear();
      this.generation = generation;
    }
    const shared = this.views.get(identity);
    if (shared) return shared;
    const loading = this.load(handle);
    this.views.set(identity, loading);
    // A failed read is not an answer to share: the next reader tries for itself.
    loading.catch(() => {
      if (this.views.get(identity) === loading) this.views.delete(identity);
    });
    return loading;
  }

  private async load(handle: FileHandle): Promise<TailView> {
    const floor = this.floor();
    const segments = await listSegments(this.dir);
    const { size } = await handle.stat();
    return { floor, segments, size };
  }
}
