// Reading many records by position at once (Log.readManyAt): positions whose frames lie next to each other in one
// segment are gathered into runs, each read with one pread, and every frame in a run is checked exactly as readAt
// checks one (read-at-position.ts). Pure: positions in, runs out; a run's bytes in, each frame's payload or why it
// could not be taken from them out. Why: a server answering a chunk request of 256 chunks read each chunk with two
// preads (header, then frame): 4,900 thread-pool round trips for a 2,000-file catch-up, though the chunks of a
// file lie one after another in the log.
import { FRAME_HEADER_BYTES } from './format.js';
import { frameHeaderAt, framePayloadAt, type RecordPositionRef } from './read-at-position.js';
import type { HintedPosition } from './types.js';

/** Positions (by their index in the caller's list) to read with one pread of [start, end). */
export interface ReadRun {
  segment: string;
  start: number;
  end: number;
  indexes: number[];
}

/** Bytes one run reads at most (a position whose hint alone is larger is a run of its own). */
export const READ_RUN_BYTES_MAX = 2 * 1024 * 1024;
/**
 * Bytes of other records a run reads through to reach the next position: the chunks of consecutive files lie with
 * a version record (a few hundred bytes) between them, and an incompressible chunk's hint is nearly exact, so
 * without this slack every file began a run of its own (1,300 preads instead of ~200 for 2,400 chunks).
 */
export const READ_RUN_GAP_BYTES_MAX = 16 * 1024;

/**
 * Runs covering `positions`: sorted by segment and offset, a position joins the run before it when its frame starts
 * within READ_RUN_GAP_BYTES_MAX of the bytes that run reads and the run stays within READ_RUN_BYTES_MAX.
 */
export function planReadRuns(positions: readonly HintedPosition[]): ReadRun[] {
  const order = positions.map((_, i) => i).sort((a, b) => {
    const x = positions[a]!;
    const y = positions[b]!;
    return x.segment === y.segment ? x.offset - y.offset : x.segment < y.segment ? -1 : 1;
  });
  const runs: ReadRun[] = [];
  let run: ReadRun | undefined;
  for (const i of order) {
    const position = positions[i]!;
    const end = position.offset + FRAME_HEADER_BYTES + Math.max(0, position.payloadBytesHint);
    if (run && run.segment === position.segment && position.offset <= run.end + READ_RUN_GAP_BYTES_MAX && Math.max(run.end, end) - run.start <= READ_RUN_BYTES_MAX) {
      run.end = Math.max(run.end, end);
      run.indexes.push(i);
      continue;
    }
    run = { segment: position.segment, start: position.offset, end, indexes: [i] };
    runs.push(run);
  }
  return runs;
}

/**
 * The record at `position` from a run's bytes (`bytes[0..got)` read at `run.start`), checked as readAt checks it;
 * undefined when those bytes cannot say (the frame goes past them, or fails its checks: the caller reads that
 * position alone, which gives the record, or the error readAt gives).
 */
export function recordInRun(bytes: Uint8Array, got: number, run: ReadRun, position: RecordPositionRef, salt: bigint): { tag: number; payload: Uint8Array } | undefined {
  const at = position.offset - run.start;
  const available = Math.max(0, got - at);
  try {
    const view = bytes.subarray(at, at + available);
    const decoded = frameHeaderAt(view, available, position);
    if (decoded.frameBytes > available) return undefined;
    return { tag: decoded.header.tag, payload: framePayloadAt(view, available, decoded, salt, position) };
  } catch {
    return undefined;
  }
}
