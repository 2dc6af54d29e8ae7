// Small logs for log tests: records whose payload is derived from their seq, so content is checkable after damage,
// crashes and reopen. Used by tests/unit/log, tests/integration/log-*, tests/fault/log-*.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WATERMARK_FILE_NAME } from '../../src/log/format.js';
import { encodeWatermark } from '../../src/log/watermark.js';
import { Log, type AppendInput, type LogEntry, type LogOptions, type RecordPosition } from '../../src/log/index.js';

/** Deterministic payload for seq: "seq <n> " repeated to a seq-dependent length (at least `minBytes`). */
export function payloadFor(seq: number, minBytes = 0): Uint8Array {
  const unit = `seq ${seq};`;
  const length = Math.max(minBytes, unit.length * (1 + (seq % 5)));
  return new TextEncoder().encode(unit.repeat(Math.ceil(length / unit.length)).slice(0, length));
}

export function recordFor(seq: number, minBytes = 0): AppendInput & { payload: Uint8Array } {
  return { tag: 1 + (seq % 4), payload: payloadFor(seq, minBytes) };
}

/** True when the entry carries exactly what recordFor(entry.seq) wrote. */
export function isIntact(entry: { seq: number; tag: number; payload: Uint8Array }, minBytes = 0): boolean {
  const expected = recordFor(entry.seq, minBytes);
  return entry.tag === expected.tag && Buffer.from(entry.payload).equals(Buffer.from(expected.payload));
}

/** Creates a log in `dir` with `count` records (one append each, in order) and closes it. */
export async function buildLog(dir: string, count: number, options: LogOptions = {}, minBytes = 0): Promise<RecordPosition[]> {
  const log = await Log.open(dir, options);
  const positions: RecordPosition[] = [];
  for (let seq = 0; seq < count; seq++) positions.push(await log.append(recordFor(seq, minBytes)));
  await log.close();
  return positions;
}

export async function readAll(log: Log, options: Parameters<Log['read']>[0] = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const entry of log.read(options)) out.push(entry);
  return out;
}

/** Reads until the reader throws; returns what came before and the error. */
export async function readUntilError(log: Log): Promise<{ entries: LogEntry[]; error: unknown }> {
  const entries: LogEntry[] = [];
  try {
    for await (const entry of log.read()) entries.push(entry);
  } catch (error) {
    return { entries, error };
  }
  return { entries, error: undefined };
}

export async function copyLog(source: string, target: string): Promise<void> {
  await cp(source, target, { recursive: true });
}

export function segmentPath(dir: string, name: string): string {
  return join(dir, name);
}

/**
 * Sets the durable watermark (durable.seq) to `nextDurableSeq`, as a writer killed before publishing its last commits
 * leaves it: records at or above it were never reported durable, so damage there is a torn tail, not loss.
 */
export async function setWatermark(dir: string, nextDurableSeq: number): Promise<void> {
  await writeFile(join(dir, WATERMARK_FILE_NAME), encodeWatermark(nextDurableSeq));
}

/** Every file of `dir` with its bytes, to check that a refused open changed nothing. */
export async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString('hex');
  return out;
}
