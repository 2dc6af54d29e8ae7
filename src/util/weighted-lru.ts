// A map holding at most a total weight of entries (bytes, chunk entries: whatever its owner counts), oldest dropped
// first. Owns only the bound: what may go in at all (an entry too heavy to be worth keeping) is its owner's rule.
// Age is insertion order: set() makes an entry the newest, and so does get(key, { touch: true }).
// Why one: the receiver's kept chunk answers, the server's shared chunk reads, the delta bases and the chunk lists
// of destination files each kept such a window by hand, with the same loop.

export class WeightedLru<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(private readonly weightMax: number) {}

  /** The weight held now: never above weightMax once a set() returns. */
  get weight(): number {
    return this.total;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The value at `key`; with `touch`, it becomes the newest (least recently used goes first). */
  get(key: K, options?: { touch?: boolean }): V | undefined {
    const entry = this.entries.get(key);
    if (entry && options?.touch) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry?.value;
  }

  /** Puts `value` at `key` as the newest (replacing what was there), then drops the oldest until within the bound. */
  set(key: K, value: V, weight: number): void {
    this.delete(key);
    this.entries.set(key, { value, weight });
    this.total += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.weightMax) break;
      this.entries.delete(oldest);
      this.total -= entry.weight;
    }
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.total -= entry.weight;
    return true;
  }
}
