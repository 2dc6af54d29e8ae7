// Time filters for `synclog log --since`: an ISO 8601 date/time, or a relative age like 90s, 15m, 2h, 3d, 1w.
// Pure (now is passed in). Throws UsageError for anything else, so a typo never silently means "everything".
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds since the epoch that `spec` names. */
export function parseSince(spec: string, nowMs: number = Date.now()): number {
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(spec.trim());
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  // Date.parse accepts many loose forms; require something that starts like an ISO date.
  if (/^\d{4}-\d{2}-\d{2}/.test(spec.trim())) {
    const ms = Date.parse(spec.trim());
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`--since ${JSON.stringify(spec)}: give an ISO 8601 time (2024-05-01T12:00Z) or an age like 30m, 2h, 3d`, {
    option: 'since',
  });
}
