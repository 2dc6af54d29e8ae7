// Debounce for changed paths: a path is due once it has been quiet for `debounceMs` since its last event, or once it
// has waited `settleWaitMsMax` since its first unprocessed event (a file that never goes quiet is still recorded).
// Pure (time is passed in), O(1) per event: two insertion-ordered maps are two queues sorted by deadline, because a
// touch re-inserts at the end of the "last touch" map and every deadline is `time + constant`.
// Invariant: every touched key is returned by exactly one takeDue/takeAll call after its last touch.
import { assert } from '../util/assert.js';

interface Pending {
  firstMs: number;
  lastMs: number;
  /** The ticket of the oldest event not yet processed for this key (flush waits on tickets). */
  firstTicket: number;
}

export class SettleQueue<K> {
  private readonly byLast = new Map<K, Pending>();
  private readonly byFirst = new Map<K, Pending>();

  constructor(
    private readonly debounceMs: number,
    private readonly settleWaitMsMax: number,
  ) {
    assert(debounceMs >= 0 && settleWaitMsMax >= debounceMs, 'settle times must be ordered');
  }

  get size(): number {
    return this.byLast.size;
  }

  has(key: K): boolean {
    return this.byLast.has(key);
  }

  /** Records an event for `key` at `nowMs` (ticket: the watcher's event counter). */
  touch(key: K, nowMs: number, ticket: number): void {
    const existing = this.byLast.get(key);
    if (existing) {
      this.byLast.delete(key);
      existing.lastMs = nowMs;
      this.byLast.set(key, existing);
      return;
    }
    const pending: Pending = { firstMs: nowMs, lastMs: nowMs, firstTicket: ticket };
    this.byLast.set(key, pending);
    this.byFirst.set(key, pending);
  }

  /** Forgets a key (it is being processed for another reason). */
  remove(key: K): void {
    this.byLast.delete(key);
    this.byFirst.delete(key);
  }

  /** The time the next key becomes due, or undefined when nothing waits. */
  nextDueMs(): number | undefined {
    const last = this.byLast.values().next();
    const first = this.byFirst.values().next();
    if (last.done || first.done) return undefined;
    return Math.min(last.value.lastMs + this.debounceMs, first.value.firstMs + this.settleWaitMsMax);
  }

  /** Removes and returns up to `max` keys that are due at `nowMs`, oldest first. */
  takeDue(nowMs: number, max: number): K[] {
    const due: K[] = [];
    while (due.length < max) {
      const last = this.byLast.entries().next();
      if (!last.done && last.value[1].lastMs + this.debounceMs <= nowMs) {
        this.remove(last.value[0]);
        due.push(last.value[0]);
        continue;
      }
      const first = this.byFirst.entries().next();
      if (!first.done && first.value[1].firstMs + this.settleWaitMsMax <= nowMs) {
        this.remove(first.value[0]);
        due.push(first.value[0]);
        continue;
      }
      break;
    }
    return due;
  }

  /** Removes and returns up to `max` keys whatever their deadlines (flush on stop). */
  takeAll(max: number): K[] {
    const keys: K[] = [];
    for (const key of this.byFirst.keys()) {
      if (keys.length >= max) break;
      keys.push(key);
    }
    for (const key of keys) this.remove(key);
    return keys;
  }

  /** The oldest unprocessed ticket, or undefined when empty. */
  oldestTicket(): number | undefined {
    const first = this.byFirst.values().next();
    return first.done ? undefined : first.value.firstTicket;
  }
}
