// The one grammar of durations, wherever a user gives one (a config file's `every`, `serve --retain-every`,
// `forget --keep-within`, a policy's keep-within): a number and a unit, ms, s, m (minutes), h, d, w or y (365 d), or a
// sum such as "1h30m" or "1d12h". Parsing and printing. Pure.
// A bare number is refused: "every = 60" could mean seconds or minutes, and a typo must not silently mean either.
import { UsageError } from '../errors.js';

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS, y: 365 * DAY_MS };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;

/** Milliseconds `text` names, or undefined when it is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const spec = text.trim();
  if (!WHOLE.test(spec)) return undefined;
  let total = 0;
  for (const [, amount, unit] of spec.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

/** As parseDurationMs, for a command-line value: a UsageError saying what a duration looks like, or one too long. */
export function requireDurationMs(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new UsageError(`bad duration ${JSON.stringify(text)}: use a number and a unit (ms, s, m, h, d, w, y), e.g. 30d or 1d12h`);
  if (!Number.isSafeInteger(ms)) throw new UsageError(`duration ${text} is too long`);
  return ms;
}

/** A short human form: "250 ms", "30 s", "5 min", "1.5 h", "2 d". */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  if (ms < 3_600_000) return `${trim(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${trim(ms / 3_600_000)} h`;
  return `${trim(ms / 86_400_000)} d`;
}

function trim(value: number): string {
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
}
