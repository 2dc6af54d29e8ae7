// Time filters for `synclog log --since`: the shared reader of user-typed moments (src/util/time-spec.ts), so every
// command accepts the same forms (ISO 8601, ages like 2h or "3 days ago", now/today/yesterday, Unix seconds or ms).
import { parseTimeSpec } from '../util/time-spec.js';

/** Milliseconds since the epoch that `spec` names; a UsageError for anything else. */
export function parseSince(spec: string, nowMs: number = Date.now()): number {
  return parseTimeSpec(spec, nowMs, '--since');
}
