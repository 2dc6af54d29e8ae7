// Moments a user types for `synclog checkout --at`: ISO 8601 ("2026-11-21T10:00:00Z", "2026-11-21"), "now",
// "today" (local midnight), "yesterday" (24 hours ago), "<n> <unit> ago" (s, m, h, d, w), or epoch milliseconds.
// Pure. Never guesses: anything else is a UsageError that lists the accepted forms.
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const AGO = /^(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s+ago$/i;
const ISO_START = /^\d{4}-\d{2}-\d{2}/;

export const TIME_FORMS_HELP = 'ISO 8601 (2026-11-21T10:00:00Z), "now", "today", "yesterday", "2h ago", "30 min ago", "3 days ago", or epoch ms';

/** Parses `text` into ms since the epoch, relative to `nowMs` for the friendly forms. */
export function parseTimeSpec(text: string, nowMs: number = Date.now()): number {
  const spec = text.trim().toLowerCase();
  if (spec === 'now') return nowMs;
  if (spec === 'yesterday') return nowMs - UNIT_MS.d!;
  if (spec === 'today') {
    const midnight = new Date(nowMs);
    midnight.setHours(0, 0, 0, 0);
    return midnight.getTime();
  }
  if (/^\d{10,}$/.test(spec)) return Number(spec);
  const ago = AGO.exec(spec);
  if (ago) {
    const unit = ago[2]!.startsWith('mi') || ago[2] === 'm' ? 'm' : ago[2]![0]!;
    return nowMs - Math.round(Number(ago[1]) * UNIT_MS[unit]!);
  }
  if (ISO_START.test(spec)) {
    const ms = Date.parse(text.trim());
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`cannot read the time ${JSON.stringify(text)}; use ${TIME_FORMS_HELP}`, { time: text });
}
