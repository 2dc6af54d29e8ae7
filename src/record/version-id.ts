// Version ids: printable, stable for the life of the version (carried through export and import), and sortable by
// creation time: 12 hex digits of the millisecond time, then 8 hex digits that make the id unique.
// Within one process the low part is a counter started at a random value, so ids made in the same millisecond
// never collide there (a burst of thousands of files lands in few milliseconds); across processes the random start
// keeps a collision to about one in 2^32 per pair of ids made in the same millisecond.
import { randomBytes } from 'node:crypto';

export const VERSION_ID_PATTERN = /^[0-9a-f]{20}$/;

let lastTimeMs = -1;
let counter = randomBytes(4).readUInt32BE(0);

export function newVersionId(timeMs: number = Date.now()): string {
  const time = Math.floor(timeMs);
  if (time !== lastTimeMs) {
    lastTimeMs = time;
    counter = randomBytes(4).readUInt32BE(0);
  } else {
    counter = (counter + 1) >>> 0;
  }
  return time.toString(16).padStart(12, '0').slice(-12) + counter.toString(16).padStart(8, '0');
}

export function isVersionId(value: unknown): value is string {
  return typeof value === 'string' && VERSION_ID_PATTERN.test(value);
}
