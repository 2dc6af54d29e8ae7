// Chunk records read once for many followers (server side of docs/protocol.md "Chunks"). The followers of one writer
// ask for the same new chunks within moments of each other; each used to read and checksum them on its own (serve
// spent 3.1-3.5 CPU-s sending 26 MB to 20 followers, most of it in those reads and their garbage). Owns: the reads in
// flight by chunk id (a second ask of an id waits for the first read) and a bounded window of records just read, least
// recently used out first. Why it is safe: a chunk id is the BLAKE3 hash of its content, so a record read for an id
// answers any later ask of that id, and the client checks it against the id as it always does. A failed read is never
// kept: the next ask reads again (and meets the damage again, if it is damage).
import type { ContentIdBytes } from '../record/index.js';
import { contentIdHex, type ChunkRecordResult } from '../store/index.js';
import { unzeroedCopy } from '../util/uninitialized-bytes.js';
import { WeightedLru } from '../util/weighted-lru.js';

/** Where chunk records come from: the store (Store.readChunkRecords), in the order asked, each its result or error. */
export interface ChunkRecordSource {
  readChunkRecords(ids: readonly ContentIdBytes[]): Promise<ChunkRecordResult[]>;
}

type ChunkRecordFound = { tag: number; payload: Uint8Array };

export class SharedChunkReads implements ChunkRecordSource {
  private readonly kept: WeightedLru<string, ChunkRecordFound>;
  private readonly inFlight = new Map<string, Promise<ChunkRecordResult>>();

  /** `bytesMax`: payload bytes kept at most (a record over a quarter of it is passed on, never kept). */
  constructor(
    private readonly source: ChunkRecordSource,
    private readonly bytesMax: number,
  ) {
    this.kept = new WeightedLru(bytesMax);
  }

  /** Payload bytes kept now (tests: never above bytesMax). */
  get bytesKept(): number {
    return this.kept.weight;
  }

  async readChunkRecords(ids: readonly ContentIdBytes[]): Promise<ChunkRecordResult[]> {
    const answers: (ChunkRecordResult | Promise<ChunkRecordResult>)[] = [];
    const missing: ContentIdBytes[] = [];
    const missingAt = new Map<string, number>();
    const slots: { at: number; hex: string }[] = [];
    for (const id of ids) {
      const hex = contentIdHex(id);
      // Least recently used goes first: an ask makes the record the newest.
      const kept = this.kept.get(hex, { touch: true });
      if (kept) {
        answers.push(kept);
        continue;
      }
      const flying = this.inFlight.get(hex);
      if (flying) {
        answers.push(flying);
        continue;
      }
      let at = missingAt.get(hex);
      if (at === undefined) {
        at = missing.push(id) - 1;
        missingAt.set(hex, at);
      }
      slots.push({ at: answers.length, hex });
      answers.push(undefined as never);
    }
    if (missing.length > 0) {
      const read = this.source.readChunkRecords(missing);
      for (const [hex, at] of missingAt) {
        const answer = read.then((results) => results[at] ?? { error: new Error(`no answer for chunk ${hex}`) }, (error: unknown) => ({ error }));
        this.inFlight.set(hex, answer);
        void answer.then((result) => {
          this.inFlight.delete(hex);
          if (!('error' in result)) this.keep(hex, result);
        });
      }
      for (const { at, hex } of slots) answers[at] = this.inFlight.get(hex)!;
    }
    return Promise.all(answers);
  }

  private keep(hex: string, found: ChunkRecordFound): void {
    const bytes = found.payload.byteLength;
    if (bytes * 4 > this.bytesMax || this.kept.has(hex)) return;
    // A payload may be a view into the run of neighbours it was read with (up to 2 MiB): keeping the view would keep
    // the whole run alive unseen by the bound, so such a payload is kept as a copy of its own.
    const payload = bytes * 2 < found.payload.buffer.byteLength ? unzeroedCopy(found.payload) : found.payload;
    this.kept.set(hex, { tag: found.tag, payload }, bytes);
  }
}
