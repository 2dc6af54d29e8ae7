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

/** What a reader of another process's log needs at the watermark: the published value, then whether a writer lives. */
export interface DurabilityView {
  /** readWatermark's answer: the value, 'missing' (no file), or undefined (unreadable now). */
  published: number | 'missing' | undefined;
  /** Whether a live writer holds the log (not asked when there is no watermark file). */
  liveWriter: boolean;
  /** As TailView.generation. */
  generation: number;
}

interface Shared<T> {
  value: Promise<T>;
  generation: number;
  settled: boolean;
}

/** Answers by key under the rules above: in flight, shared with anyone; finished, only within its generation. */
class GenerationShare<T extends { generation: number }> {
  private readonly entries = new Map<string, Shared<T>>();

  constructor(private readonly changes: ChangeSignal) {}

  get(key: string, load: (generation: number) => Promise<T>): Promise<T> {
    const generation = this.changes.generation;
    if (!this.changes.watching) return load(generation);
    const shared = this.entries.get(key);
    if (shared && (!shared.settled || shared.generation === generation)) return shared.value;
    // Entries of other keys from older generations are of no more use (a reader moved on, or will ask anew).
    for (const [other, entry] of this.entries) if (entry.settled && entry.generation !== generation) this.entries.delete(other);
    const entry: Shared<T> = { value: load(generation), generation, settled: false };
    this.entries.set(key, entry);
    entry.value.then(
      () => (entry.settled = true),
      // A failed read is not an answer to share: the next reader tries for itself.
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value;
  }
}

export class TailViews {
  /** Views by segment file identity (device:inode). */
  private readonly views: GenerationShare<TailView>;
  private readonly durabilityViews: GenerationShare<DurabilityView>;

  constructor(
    private readonly dir: string,
    changes: ChangeSignal,
    private readonly floor: () => number | undefined,
    /** The watermark's value, then the writer's liveness (watermark.ts, lock.ts): what durability() shares. */
    private readonly loadDurability: () => Promise<Omit<DurabilityView, 'generation'>>,
  ) {
    this.views = new GenerationShare(changes);
    this.durabilityViews = new GenerationShare(changes);
  }

  /** A view of the segment file `identity`, whose size is read through `handle` when this reader loads it. */
  view(identity: string, handle: FileHandle): Promise<TailView> {
    return this.views.get(identity, (generation) => this.load(handle, generation));
  }

  /** The published watermark and the writer's liveness, shared as views are (WatermarkGate asks it when following). */
  durability(): Promise<DurabilityView> {
    return this.durabilityViews.get('durability', async (generation) => ({ ...(await this.loadDurability()), generation }));
  }

  private async load(handle: FileHandle, generation: number): Promise<TailView> {
    const floor = this.floor();
    const segments = await listSegments(this.dir);
    const { size } = await handle.stat();
    return { floor, segments, size, generation };
  }
}
