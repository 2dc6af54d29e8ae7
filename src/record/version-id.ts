// Version ids: printable, stable for the life of the version (carried through export and import), and sortable by
// creation time: 12 hex digits of the millisecond time, then 8 hex digits that make the id unique.
// The low part is random, so ids of one millisecond still differ early (a short prefix names a version); within one
// process a repeat in the same millisecond is drawn again, so a burst of thousands of files never collides there,
// and across processes a collision is about one in 2^32 per pair of ids made in the same millisecond.
import { randomBytes } from 'node:crypto';
import { NotFoundError, UsageError } from '../errors.js';
import { LIMITS } from '../util/limits.js';

export const VERSION_ID_PATTERN = /^[0-9a-f]{20}$/;

let lastTimeMs = -1;
const issuedThisMs = new Set<string>();

/**
 * Random bytes drawn RANDOM_POOL_BYTES at a time: a randomBytes(4) per id cost 7-13 µs each (one call into the CSPRNG
 * per file: 14-27 ms of a 2,000-file snapshot's main thread). Each id still takes 4 bytes no other id had.
 */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolAt = 0;

function randomHex8(): string {
  if (randomPoolAt + 4 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomPoolAt = 0;
  }
  const hex = randomPool.toString('hex', randomPoolAt, randomPoolAt + 4);
  randomPoolAt += 4;
  return hex;
}

export function newVersionId(timeMs: number = Date.now()): string {
  const time = Math.floor(timeMs);
  if (time !== lastTimeMs) {
    lastTimeMs = time;
    issuedThisMs.clear();
  }
  const prefix = time.toString(16).padStart(12, '0').slice(-12);
  for (;;) {
    const id = prefix + randomHex8();
    if (!issuedThisMs.has(id)) {
      issuedThisMs.add(id);
      return id;
    }
  }
}

export function isVersionId(value: unknown): value is string {
  return typeof value === 'string' && VERSION_ID_PATTERN.test(value);
}

/**
 * The one item of `candidates` (a path's history) named by `id`: a full version id, or a prefix of at least
 * LIMITS.versionIdPrefixCharsMin characters that only one of them starts with. A prefix that is too short is a
 * UsageError naming the minimum; one that several versions share is a UsageError listing them; one that names
 * none is a NotFoundError. `display` is the path the messages name.
 */
export function findVersionById<T extends { record: { versionId: string } }>(candidates: readonly T[], id: string, display: string): T {
  const exact = candidates.find((c) => c.record.versionId === id);
  if (exact) return exact;
  refuseShortPrefix(id, `synclog history ${display}`);
  const matches = candidates.filter((c) => c.record.versionId.startsWith(id));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw ambiguousPrefix(id, `for ${display}`, matches.map((c) => c.record.versionId));
  throw new NotFoundError(`version ${id} is not a version of ${display}`, { what: 'version', id });
}

/** The prefix rule's first half, shared by every lookup by id: too short is a UsageError naming the minimum. */
export function refuseShortPrefix(id: string, seeCommand: string): void {
  const min = LIMITS.versionIdPrefixCharsMin;
  if (id.length >= min) return;
  throw new UsageError(`version id prefix ${JSON.stringify(id)} is too short: give at least ${min} characters (see \`${seeCommand}\`)`, {
    versionId: id,
    prefixCharsMin: min,
  });
}

/** A prefix several versions start with (`scope`: "for PATH", "in the log"): a UsageError listing a few. */
export function ambiguousPrefix(id: string, scope: string, candidates: readonly string[]): UsageError {
  const shown = candidates.slice(0, LIMITS.versionIdCandidatesShown);
  const more = candidates.length > shown.length ? ` and ${candidates.length - shown.length} more` : '';
  return new UsageError(`version id prefix ${id} is ambiguous ${scope}: it matches ${shown.join(', ')}${more}; give more characters`, {
    versionId: id,
    candidates: [...candidates],
  });
}
