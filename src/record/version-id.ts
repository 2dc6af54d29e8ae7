// Version ids: printable, stable for the life of the version (carried through export and import), and sortable by
// creation time: 12 hex digits of the millisecond time, then 8 random hex digits.
import { randomBytes } from 'node:crypto';

export const VERSION_ID_PATTERN = /^[0-9a-f]{20}$/;

export function newVersionId(timeMs: number = Date.now()): string {
  return Math.floor(timeMs).toString(16).padStart(12, '0').slice(-12) + randomBytes(4).toString('hex');
}

export function isVersionId(value: unknown): value is string {
  return typeof value === 'string' && VERSION_ID_PATTERN.test(value);
}
