// Where the chunk records a sequential read of the log just passed are: a bounded window of id → location. Owns
// only that memory (no chunk bytes: a location is ~200 bytes, a payload up to 256 KiB). Invariant: at most
// `entriesMax` locations are held; the oldest go first.
// Why: a log written by a watcher or a snapshot puts a file's chunks right before its version, so a reader applying
// versions in log order (the receiver) finds their locations here and never builds the chunk index (a second pass
// over every chunk record of the log).
import type { ChunkLocation } from './chunk-index.js';

export class RecentChunkLocations {
  private readonly locations = new Map<string, ChunkLocation & { seq: number }>();

  constructor(private readonly entriesMax: number) {}

  /** Remembers a chunk record's location (by hex id), replacing an older one of the same id. */
  add(hexId: string, location: ChunkLocation & { seq: number }): void {
    this.locations.delete(hexId);
    this.locations.set(hexId, location);
    if (this.locations.size > this.entriesMax) this.locations.delete(this.locations.keys().next().value as string);
  }

  get(hexId: string): (ChunkLocation & { seq: number }) | undefined {
    return this.locations.get(hexId);
  }

  clear(): void {
    this.locations.clear();
  }
}
