// The durable floor: a lower bound on how many records of a log were durable, from evidence the writer left
// beside the segments (docs/format.md "Recovery rules"). Why: a record missing or damaged below it was acknowledged
// and is lost; cutting it as a torn tail would hide that loss. Owns which evidence counts; never writes.
// Evidence, each only ever behind the truth: the durable watermark (written after the fdatasync that made it true,
// so after a crash it is older, never newer) and a sealed segment's index (its record count was durable when it was
// written). The segment names themselves bound every segment but the newest (seq continuity, checked elsewhere).
import { readSegmentIndex } from './segment-index.js';
import { indexFileName } from './segment-name.js';
import type { OpenSegment } from './segment-file.js';
import { readWatermark } from './watermark.js';
import { WATERMARK_FILE_NAME } from './format.js';

export interface DurableFloor {
  /** Every record with a seq below this one was durable at some time. */
  seq: number;
  /** Which file says so, for messages: `durable.seq` or an index file name. */
  source: string;
}

/** The highest floor the log in `dir` proves; `newest` is its newest segment (opened), if it has one. */
export async function readDurableFloor(dir: string, newest: OpenSegment | undefined): Promise<DurableFloor | undefined> {
  let floor: DurableFloor | undefined;
  const published = readWatermark(dir);
  if (typeof published === 'number' && published > 0) floor = { seq: published, source: WATERMARK_FILE_NAME };
  if (newest) {
    const index = await readSegmentIndex(dir, newest.ref.name, newest.header.salt, undefined);
    const indexed = index ? newest.ref.baseSeq + index.records : 0;
    if (index && indexed > (floor?.seq ?? 0)) floor = { seq: indexed, source: indexFileName(newest.ref.name) };
  }
  return floor;
}

/** The words every report of loss below the floor uses (CorruptionError, verify, readers). */
export function durableLossReason(floor: DurableFloor, endSeq: number, stopReason: string | undefined): string {
  const lost = floor.seq - endSeq;
  return (
    `${lost} durable record(s) from seq ${endSeq} are ${stopReason ? `damaged (${stopReason})` : 'missing'}: ` +
    `${floor.source} says ${floor.seq} records were durable, so this is loss, not a torn tail`
  );
}
