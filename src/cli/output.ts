// The only place error codes become exit codes and text (restic's fatal-at-top-level habit).
// Exit codes: 0 ok; 1 the command ran and found a problem (verify found damage, an error while running);
// 2 usage error; 3 the log is locked by another writer; 130/143 never (signals end commands cleanly with 0).
import { ERROR_CODES, isSynclogError } from '../errors.js';
import { AssertionError } from '../util/assert.js';
import { displayName, visibleText } from '../util/display-name.js';
import type { SkippedRegion, UnreadableVersion } from '../store/index.js';

export const EXIT = {
  ok: 0,
  problem: 1,
  usage: 2,
  locked: 3,
  bug: 70,
} as const;

export function exitCodeFor(error: unknown): number {
  if (isSynclogError(error)) {
    if (error.code === ERROR_CODES.usage) return EXIT.usage;
    if (error.code === ERROR_CODES.locked) return EXIT.locked;
    return EXIT.problem;
  }
  if (error instanceof AssertionError) return EXIT.bug;
  return EXIT.problem;
}

/** Prints one JSON value as a single line on stdout (scripts read it). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, jsonReplacer) + '\n');
}

/** JSON for binary ids and bigints: hex strings and numbers. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/**
 * One human line on stdout. The last guard before the terminal: a control character that reached it (a name a caller
 * forgot to pass through displayName, an error message that embeds one) is printed as a visible escape, never raw,
 * so no name can move the cursor or forge a line. Names themselves go through displayName first.
 */
export function printLine(text: string): void {
  process.stdout.write(visibleText(text) + '\n');
}

/** One human line on stderr, guarded like printLine. */
export function printNotice(text: string): void {
  process.stderr.write(visibleText(text) + '\n');
}

/** What a user can do about mid-log damage (issue 13 item 5); said wherever a command stops at it. */
export const DAMAGE_HINT =
  'run `synclog verify` to see which records and versions are affected; read commands accept --skip-damaged to carry on past damaged records';

/** The read commands' shared `--skip-damaged` option (history, log, stats, export, checkout, receive). */
export const SKIP_DAMAGED_OPTION = ['--skip-damaged', 'read on past damaged records: list what was skipped (stderr, or "skipped" in --json) and exit 1'] as const;
/** The same flag for `explore`, which has no output to list in: the screen says it instead. */
export const SKIP_DAMAGED_EXPLORE_OPTION = ['--skip-damaged', 'read on past damaged records: the title line counts the regions skipped; an unreadable version shows an error'] as const;

function seqText(region: SkippedRegion): string {
  if (region.seqFrom === undefined && region.seqTo === undefined) return '';
  const from = region.seqFrom ?? '?';
  const to = region.seqTo ?? '?';
  return from === to ? ` (seq ${from})` : ` (seq ${from}-${to})`;
}

/** One line per skipped region: "skipped damaged records: segment S bytes A-B (seq X-Y): reason". */
export function describeSkipped(region: SkippedRegion): string {
  return `skipped damaged records: segment ${region.segment} bytes ${region.offset}-${region.endOffset}${seqText(region)}: ${region.reason}`;
}

/** One line per file version not produced: "not written: root/path (version ID): reason" (the name escaped). */
export function describeUnreadable(item: UnreadableVersion): string {
  return `not written: ${displayName(item.path)} (version ${item.versionId}): ${item.reason}`;
}

/**
 * After a --skip-damaged command did all it could: prints (human output, on stderr) each skipped region and each
 * file not produced, and returns the exit code: 1 when anything was skipped (a problem was found), else 0. With
 * --json the caller puts `skipped` (and its unreadable files) into its own JSON object instead.
 */
export function reportSkipped(skipped: readonly SkippedRegion[], unreadable: readonly UnreadableVersion[], json: boolean): number {
  if (!json) {
    for (const region of skipped) printNotice(describeSkipped(region));
    for (const item of unreadable) printNotice(describeUnreadable(item));
  }
  return skippedExitCode(skipped, unreadable);
}

/** The exit code after a --skip-damaged read: 1 when anything was skipped (a problem was found), else 0. */
export function skippedExitCode(skipped: readonly SkippedRegion[], unreadable: readonly UnreadableVersion[]): number {
  return skipped.length > 0 || unreadable.length > 0 ? EXIT.problem : EXIT.ok;
}

/** An error for a person: its message (which may embed names) and its fix, each on its own guarded line. */
export function printErrorText(message: string, fix: string | undefined): void {
  printNotice(`synclog: ${message}`);
  if (fix) printNotice(`  fix: ${fix}`);
}

/** Reports an error the way the user asked (JSON on stdout with --json, text on stderr) and returns the exit code. */
export function reportError(error: unknown, json: boolean): number {
  const code = exitCodeFor(error);
  if (json) {
    const body = isSynclogError(error) ? error.toJSON() : { name: (error as Error)?.name ?? 'Error', message: String((error as Error)?.message ?? error) };
    printJson({ ok: false, error: body });
  }
  if (isSynclogError(error)) {
    // The JSON form above keeps the exact names; the text form escapes them where it is printed.
    if (!json) printErrorText(error.message, (error.details as { fix?: string }).fix ?? (error.code === ERROR_CODES.corrupt ? DAMAGE_HINT : undefined));
  } else {
    // Not a SynclogError: a bug or an unexpected OS failure. Show the stack so it can be reported (line by line, so
    // a name inside the message is escaped like any other).
    const e = error as Error | undefined;
    printNotice(`synclog: unexpected error: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`);
    for (const line of String(e?.stack ?? '').split('\n')) if (/^\s+at /.test(line)) printNotice(line);
  }
  return code;
}
