// Durations a config file gives ("500ms", "30s", "5m", "1h", "1d"; a sum such as "1h30m"): parsing and printing. Pure.
// A bare number is refused: "every = 60" could mean seconds or minutes, and a typo must not silently mean either.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds `text` names, or undefined when it is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const spec = text.trim();
  if (!WHOLE.test(spec)) return undefined;
  let total = 0;
  for (const [, amount, unit] of spec.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
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
