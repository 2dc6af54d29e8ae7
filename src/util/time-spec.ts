// The one reader of moments a user types (`checkout --at`, `export --at`, `log --since`): ISO 8601
// ("2026-11-21T10:00:00Z", "2026-11-21"), "now", "today" (local midnight), "yesterday" (24 hours ago), an age
// ("2h", "90s", "3d", "1w", or "2h ago", "30 min ago", "3 days ago"), or a Unix time: a bare number is seconds when
// it is below EPOCH_SECONDS_BELOW (10^11 s is the year 5138, while 10^11 ms is 1973, before any log), otherwise
// milliseconds; `@1796169765` is always seconds (as `date -d @N`).
// Pure (now is passed in). Never guesses: anything else is a UsageError that lists the accepted forms, so a typo
// never silently means "everything".
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const AGE = /^(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)(\s+ago)?$/i;
const ISO_START = /^\d{4}-\d{2}-\d{2}/;
/** A bare number below this is Unix seconds; at or above it, milliseconds (see the header). */
export const EPOCH_SECONDS_BELOW = 1e11;

export const TIME_FORMS_HELP =
  'ISO 8601 (2026-11-21T10:00:00Z), "now", "today", "yesterday", an age ("2h", "30m", "3d", "2h ago"), or Unix time (seconds: 1796169765 or @1796169765; a number of 10^11 or more is milliseconds)';

function unitOf(word: string): string {
  const lower = word.toLowerCase();
  return lower === 'm' || lower.startsWith('mi') ? 'm' : lower[0]!;
}

/** Milliseconds since the epoch that `text` names, or undefined when it is none of the accepted forms. */
export function tryParseTimeSpec(text: string, nowMs: number = Date.now()): number | undefined {
  const spec = text.trim().toLowerCase();
  if (spec === 'now') return nowMs;
  if (spec === 'yesterday') return nowMs - UNIT_MS.d!;
  if (spec === 'today') {
    const midnight = new Date(nowMs);
    midnight.setHours(0, 0, 0, 0);
    return midnight.getTime();
  }
  if (/^@\d+$/.test(spec)) return Number(spec.slice(1)) * 1000;
  if (/^\d+$/.test(spec)) {
    const value = Number(spec);
    return value < EPOCH_SECONDS_BELOW ? value * 1000 : value;
  }
  const age = AGE.exec(spec);
  if (age) return nowMs - Math.round(Number(age[1]) * UNIT_MS[unitOf(age[2]!)]!);
  if (ISO_START.test(spec)) {
    const ms = Date.parse(text.trim());
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/** Like tryParseTimeSpec, but a UsageError (naming `what`, e.g. "--since") for anything it cannot read. */
export function parseTimeSpec(text: string, nowMs: number = Date.now(), what = 'time'): number {
  const ms = tryParseTimeSpec(text, nowMs);
  if (ms === undefined) throw new UsageError(`cannot read the ${what} ${JSON.stringify(text)}; use ${TIME_FORMS_HELP}`, { time: text });
  return ms;
}
