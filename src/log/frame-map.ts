// Frames one process has already verified and found durable, by segment file and offset, so that its other readers
// of the same log pass them by without reading them again. The case it exists for: a
// server with 20 followers, each reading the log's version records through a tags-filtered read, which verifies
// every chunk frame it skips; 20 followers read and checksummed every new chunk frame 20 times (most of serve's CPU
// once chunk answers were shared). Owns: the map and its bound. Never decides what is durable: the reader notes a frame
// only once it has checked that the frame lies below the durable watermark, which no cut ever reaches.
// Invariant: an entry names a frame whose checksum held when its segment file (this inode, this salt) was read; a
// segment a prune replaced is a new file and starts with no entries. Why skipping on it is sound: a durable frame is
// never rewritten in place (writers cut only above the watermark; prune writes new files), and later bit rot there is
// still found by any read that wants the frame (a chunk fetch, verify, another process).
import type { FrameFlags } from './format.js';

/** What a reader needs of a frame it will not read: how long it is, and what it is. */
export interface KnownFrame {
  frameBytes: number;
  tag: number;
  flags: FrameFlags;
}

/** Ends a reader's claim on a frame (SegmentFrameMap.claim). */
export type ClaimRelease = () => void;

/** The known frames of one segment file. */
export class SegmentFrameMap {
  /** offset → frameBytes * 2^10 + tag * 2^2 + flags (exact in a double: frames are far below 2^40 bytes). */
  private readonly frames = new Map<number, number>();
  /** Frames a reader is reading now (offset → settles when it is done): the others wait for it, then pass them by. */
  private readonly claims = new Map<number, Promise<void>>();
  /** Set once the bound pushed this map out: a reader still holding it notes nothing more (and reads as before). */
  dropped = false;

  constructor(private readonly owner: FrameMaps) {}

  get size(): number {
    return this.frames.size;
  }

  get(offset: number): KnownFrame | undefined {
    const packed = this.frames.get(offset);
    if (packed === undefined) return undefined;
    return { frameBytes: Math.floor(packed / 1024), tag: (packed >> 2) & 0xff, flags: (packed & 3) as FrameFlags };
  }

  /**
   * A reader about to read the unknown frame at `offset` claims it, so that readers of the same frame at the same
   * time (followers at the log's end, all woken by one change) read it once between them: the first reads, checks and
   * notes it; the others wait, then find it known. Returns the release (call it once done with the frame, before
   * handing anything to a consumer: a claim held across a yield would stall the others behind a slow one), a promise
   * of one when another reader holds it, or undefined when there is nothing to claim (known now, or map dropped).
   */
  claim(offset: number): ClaimRelease | Promise<ClaimRelease | undefined> | undefined {
    if (this.dropped || this.frames.has(offset)) return undefined;
    const held = this.claims.get(offset);
    if (held) return held.then(() => this.claim(offset));
    let settle!: () => void;
    this.claims.set(offset, new Promise<void>((resolve) => (settle = resolve)));
    return () => {
      this.claims.delete(offset);
      settle();
    };
  }

  note(offset: number, frame: KnownFrame): void {
    if (this.dropped || this.frames.has(offset)) return;
    this.frames.set(offset, frame.frameBytes * 1024 + frame.tag * 4 + frame.flags);
    this.owner.grew();
  }
}

/** Known frames of every segment file a Log's readers have read, at most `framesMax` in all (oldest segment out first). */
export class FrameMaps {
  private readonly bySegment = new Map<string, SegmentFrameMap>();
  private frames = 0;

  constructor(private readonly framesMax: number) {}

  /** The map for one segment file: `identity` names the file (device and inode) and `salt` its header. */
  forSegment(identity: string, salt: bigint): SegmentFrameMap {
    const key = `${identity}:${salt}`;
    let map = this.bySegment.get(key);
    if (!map) {
      map = new SegmentFrameMap(this);
      this.bySegment.set(key, map);
    }
    return map;
  }

  /** Frames known now (tests: never above framesMax). */
  get count(): number {
    return this.frames;
  }

  grew(): void {
    this.frames++;
    if (this.frames <= this.framesMax) return;
    // Oldest segment first (insertion order): a reader moves forward through the log, so the newest is wanted most.
    for (const [key, oldest] of this.bySegment) {
      if (this.frames <= this.framesMax) break;
      this.bySegment.delete(key);
      oldest.dropped = true;
      this.frames -= oldest.size;
    }
  }
}
