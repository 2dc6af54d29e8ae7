// Deletes waiting for their rename partner: a vanished entry is held for the rename window so that an add of the
// same content (or directory inode) in a later batch still pairs with it as a move; once the window passes it
// becomes a tombstone. Tombstones beyond one batch's worth wait here too, for the next batch.
// The window is only a lower bound: the caller decides up to which due time entries may go (the pipeline keeps them
// while it still has other paths in hand, one of which may be the partner — see ChangePipeline.releaseUpToMs).
// Invariant: entries are held in due order (each is due at "time it was reconciled + a constant"), so the first one
// is the next due — no scan of the whole set per event.
import { WATCH_LIMITS } from '../util/limits.js';
import type { Vanished } from './batch-records.js';

interface Held {
  gone: Vanished;
  dueMs: number;
}

export class HeldDeletes {
  private readonly held = new Map<string, Held>();
  private readonly overflow = new Map<string, Vanished>();

  constructor(private readonly renameWindowMs: number) {}

  has(key: string): boolean {
    return this.held.has(key) || this.overflow.has(key);
  }

  /** A new look at the path decides afresh whether it is gone. */
  forget(key: string): void {
    this.held.delete(key);
    this.overflow.delete(key);
  }

  /** Every held entry (candidates for pairing). */
  candidates(): Vanished[] {
    return [...this.held.values()].map((h) => h.gone);
  }

  /** The time the next entry is due, or undefined when nothing is held. */
  nextDueMs(): number | undefined {
    if (this.overflow.size > 0) return 0;
    const head = this.held.values().next();
    return head.done ? undefined : head.value.dueMs;
  }

  /**
   * Splits the unpaired vanished entries of a batch (and held ones) into those to hold on and the tombstones to
   * write now (at most one batch; the rest wait). New entries are due at `nowMs` + the window; entries due at or
   * before `releaseUpToMs` are released (Infinity: no window, on stop or snapshot).
   */
  settle(unpaired: readonly Vanished[], paired: readonly Vanished[], nowMs: number, releaseUpToMs: number): Vanished[] {
    for (const p of paired) this.held.delete(p.key);
    const due: Vanished[] = [...this.overflow.values()];
    this.overflow.clear();
    for (const g of unpaired) {
      const dueMs = this.held.get(g.key)?.dueMs ?? nowMs + this.renameWindowMs;
      if (dueMs > releaseUpToMs) {
        if (!this.held.has(g.key)) this.held.set(g.key, { gone: g, dueMs });
      } else {
        this.held.delete(g.key);
        due.push(g);
      }
    }
    for (const g of due.splice(WATCH_LIMITS.batchPathsMax)) this.overflow.set(g.key, g);
    return due;
  }
}
