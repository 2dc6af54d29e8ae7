// Read-ahead worker body (util/read-ahead.ts): warms the page cache for the files of its lanes, in each lane's order,
// the lane least ahead of its reader first, never more than `aheadBytesMax` bytes ahead of what the readers finished
// with. Owns no state the caller relies on: what it reads is thrown away. Opens only what lstat says is a regular file
// of at most `fileBytesMax` bytes (larger files are read by the caller in blocks, without blocking its thread), and
// ignores every error (the caller's own read reports what is wrong).
import { closeSync, constants, lstatSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { READ_AHEAD_ENTRY, READ_AHEAD_SLOT, READ_AHEAD_STOP, type ReadAheadLaneMessage, type ReadAheadWorkerData } from './read-ahead.js';

/** Work between two looks at the message queue (new lanes). */
const SLICE_MS = 20;
/** Longest wait for the readers to catch up before looking at the message queue again. */
const WAIT_MS = 20;

interface Lane {
  paths: readonly string[];
  state: Int32Array;
  sizes: Int32Array;
  /** Next entry to look at. */
  next: number;
}

const data = workerData as ReadAheadWorkerData;
const control = new Int32Array(data.control);
const scratch = new Uint8Array(Math.max(1, data.fileBytesMax));
const lanes: Lane[] = [];
let scheduled = false;

parentPort!.on('message', (message: ReadAheadLaneMessage | typeof READ_AHEAD_STOP) => {
  if (message === READ_AHEAD_STOP) {
    lanes.length = 0;
    parentPort!.close(); // nothing else keeps this thread's event loop alive: it ends
    return;
  }
  lanes.push({ paths: message.paths, state: new Int32Array(message.state), sizes: new Int32Array(message.sizes), next: 0 });
  schedule();
});

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(run);
}

function run(): void {
  scheduled = false;
  const deadlineMs = performance.now() + SLICE_MS;
  while (performance.now() < deadlineMs) {
    const lane = pickLane();
    if (!lane) return; // idle until the next lane arrives
    const aheadBytes = Atomics.load(control, READ_AHEAD_SLOT.aheadBytes);
    if (aheadBytes >= data.aheadBytesMax) {
      Atomics.wait(control, READ_AHEAD_SLOT.aheadBytes, aheadBytes, WAIT_MS);
      continue;
    }
    warm(lane, lane.next);
    lane.next += 1;
  }
  schedule();
}

/**
 * The open lane whose next entry is nearest its reader (entries looked at minus entries finished): two batches read
 * side by side are warmed side by side. Entries the reader finished with are passed over; a finished lane is dropped.
 */
function pickLane(): Lane | undefined {
  let best: Lane | undefined;
  let bestAhead = Infinity;
  for (let i = lanes.length - 1; i >= 0; i--) {
    const lane = lanes[i]!;
    while (lane.next < lane.paths.length && Atomics.load(lane.state, 1 + lane.next) === READ_AHEAD_ENTRY.done) lane.next += 1;
    if (lane.next >= lane.paths.length) {
      lanes.splice(i, 1);
      continue;
    }
    const ahead = lane.next - Atomics.load(lane.state, 0);
    if (ahead < bestAhead) {
      best = lane;
      bestAhead = ahead;
    }
  }
  return best;
}

function warm(lane: Lane, index: number): void {
  const path = lane.paths[index]!;
  let size: number;
  try {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size === 0 || stat.size > data.fileBytesMax) return;
    size = stat.size;
  } catch {
    return;
  }
  // The size is in place before the entry says "warmed": the reader subtracts what it finds there.
  Atomics.store(lane.sizes, index, size);
  if (Atomics.compareExchange(lane.state, 1 + index, READ_AHEAD_ENTRY.queued, READ_AHEAD_ENTRY.warmed) !== READ_AHEAD_ENTRY.queued) return;
  Atomics.add(control, READ_AHEAD_SLOT.aheadBytes, size);
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a path replaced by a FIFO since the lstat must not hang this thread.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    readSync(fd, scratch, 0, size, 0);
  } catch {
    // Gone, changed, unreadable: the reader finds out for itself.
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // nothing to do
      }
    }
  }
}
