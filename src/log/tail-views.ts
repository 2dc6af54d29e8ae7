// What a following reader asks of the log directory when it reaches the end of what it has read: the durable floor,
// the segment listing and its segment's size, read in that order (log-reader.ts whereNext depends on the order: a
// floor read first covers only what the files held before it; a writer finishes a segment before it creates the
// next, so a size read after the listing is final when a later segment is listed). One wake of the directory watch
// wakes every follower of the Log at once (a server with 20 followers): each listed the directory and fstat'ed its
// segment, 20 times per change (a fifth of serve's CPU). Owns sharing those reads among the Log's followers.
// Rules: a view is tagged with the change generation in which its reads began. A finished view is shared only within
// that generation; a view still being read is shared with anyone who asks meanwhile, even after the generation moved
// on (a writer's every write moves it, so followers on a busy machine rarely asked within one). Why that is sound:
// anything that changes the directory or a segment after a view's reads began is a change the watch reports, which
// moves the generation past the view's tag; a reader sleeps only on the older of its own generation and its views'
// tags, so it never sleeps through such a change (it reads again at once instead). A fallback poll's wake moves the
// generation too (follow.ts), for a watch that stays silent. Without a watch every reader reads its own view.
import type { FileHandle } from 'node:fs/promises';
import type { ChangeSignal } from './follow.js';
import { listSegments, type SegmentRef } from './segment-file.js';

export interface TailView {
  /** The durable floor (records below it were durable), read first. */
  floor: number | undefined;
  segments: SegmentRef[];
  /** The segment file's size, read last. */
  size: number;
  /** The change generation in which these reads began: a reader that used the view sleeps on no later one. */
  generation: number;
}

/**
 * Reads a view in the order whereNext relies on (floor, listing, size): the one place that order is kept, for views
 * shared by TailViews and for the ones a reader reads for itself (no watch, not following, the writer's own Log).
 */
export async function readTailView(dir: string, floor: (() => number | undefined) | undefined, handle: FileHandle, generation: number): Promise<TailView> {
  const floorNow = floor?.();
  const segments = await listSegments(dir);
  const { size } = await handle.stat();
  return { floor: floorNow, segments, size, generation };
}

interface SharedView {
  view: Promise<TailView>;
  generation: number;
  settled: boolean;
}

export class TailViews {
  /** The newest view of each segment file, by identity (device:inode); old files' entries go when a view is taken. */
  private readonly views = new Map<string, SharedView>();

  constructor(
    private readonly dir: string,
    private readonly changes: ChangeSignal,
    private readonly floor: () => number | undefined,
  ) {}

  /** A view of the segment file `identity`, whose size is read through `handle` when this reader loads it. */
  view(identity: string, handle: FileHandle): Promise<TailView> {
    const generation = this.changes.generation;
    if (!this.changes.watching) return readTailView(this.dir, this.floor, handle, generation);
    const shared = this.views.get(identity);
    if (shared && (!shared.settled || shared.generation === generation)) return shared.view;
    // Entries of other segment files from older generations are of no more use (a reader moved on, or will ask anew).
    for (const [key, other] of this.views) if (other.settled && other.generation !== generation) this.views.delete(key);
    const entry: SharedView = { view: readTailView(this.dir, this.floor, handle, generation), generation, settled: false };
    this.views.set(identity, entry);
    entry.view.then(
      () => (entry.settled = true),
      // A failed read is not an answer to share: the next reader tries for itself.
      () => {
        if (this.views.get(identity) === entry) this.views.delete(identity);
      },
    );
    return entry.view;
  }
}
