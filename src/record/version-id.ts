// Version ids: printable, stable for the life of the version (carried through export and import), and sortable by
// creation time: 12 hex digits of the millisecond time, then 8 hex digits that make the id unique.
// The low part is random, so ids of one millisecond still differ early (a short prefix names a version); within one
// process a repeat in the same millisecond is drawn again, so a burst of thousands of files never collides there,
// and across processes a collision is about one in 2^32 per pair of ids made in the same millisecond.
import { randomBytes } from 'node:crypto';

export const VERSION_ID_PATTERN = /^[0-9a-f]{20}$/;

let lastTimeMs = -1;
const issuedThisMs = new Set<string>();

export function newVersionId(timeMs: number = Date.now()): string {
  const time = Math.floor(timeMs);
  if (time !== lastTimeMs) {
    lastTimeMs = time;
    issuedThisMs.clear();
  }
  const prefix = time.toString(16).padStart(12, '0').slice(-12);
  for (;;) {
    const id = prefix + randomBytes(4).toString('hex');
    if (!issuedThisMs.has(id)) {
      issuedThisMs.add(id);
      return id;
    }
  }
}

export function isVersionId(value: unknown): value is string {
  return typeof value === 'string' && VERSION_ID_PATTERN.test(value);
}
