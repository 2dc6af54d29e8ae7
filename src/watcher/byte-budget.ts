// A counting semaphore over bytes: bounds how much file content the watcher reads at once while still letting many
// small files be in flight together (they share group commits). FIFO, so a large file is not starved by small ones.
import { assert } from '../util/assert.js';

export class ByteBudget {
  private used = 0;
  private readonly waiting: { bytes: number; resolve: () => void }[] = [];

  constructor(private readonly capacity: number) {
    assert(capacity > 0, 'a byte budget needs a positive capacity');
  }

  /** Waits for `bytes` (capped at the capacity, so any file fits alone) and returns the amount to release. */
  async acquire(bytes: number): Promise<number> {
    const amount = Math.min(Math.max(bytes, 1), this.capacity);
    if (this.waiting.length === 0 && this.used + amount <= this.capacity) {
      this.used += amount;
      return amount;
    }
    await new Promise<void>((resolve) => this.waiting.push({ bytes: amount, resolve }));
    return amount;
  }

  release(amount: number): void {
    this.used -= amount;
    assert(this.used >= 0, 'byte budget released more than acquired');
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.capacity) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.resolve();
    }
  }
}
