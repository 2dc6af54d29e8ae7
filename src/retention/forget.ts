// `forget`: applies a retention policy to every path's history and records the versions it drops as forget
// records (docs/format.md "Retention (format version 3)"). Owns reading the history (version, delete and earlier
// forget records) and writing the forget records; the choice itself is policy.ts's. Never removes a byte: a prune
// does that later. Invariant: the newest version of a live path and every delete record are never forgotten; the
// forget records of one run are one atomic group (all or none), in a version-3 segment.
import ignore, { type Ignore } from 'ignore';
import { FORMAT_VERSION_RETENTION, Log } from '../log/index.js';
import { decodeRecord, displayPath, encodeRecord, RECORD_TAGS, type ForgetRecord } from '../record/index.js';
import { LIMITS } from '../util/limits.js';
import { checkPolicy, keptVersions, type HistoryEntry, type RetentionPolicy } from './policy.js';

export interface ForgetOptions {
  policy: RetentionPolicy;
  /** gitignore-style patterns matched against `root/path`: only matching paths are subject to the policy. */
  paths?: readonly string[];
  /** The policy as given (stored in the forget record for the audit trail). */
  policyText: string;
  /** The clock of the host holding the log (for --keep-within). Default Date.now(). */
  nowMs?: number;
  dryRun?: boolean;
}

export interface ForgottenVersion {
  versionId: string;
  root: string;
  path: string;
  /** The record's own time (for a pushed version, the client's clock). */
  time: number;
  /** For a pushed version: when the server took it, by its clock; the policy judged by this when present. */
  receivedMs?: number;
  seq: number;
}

export interface ForgetReport {
  /** Paths the policy looked at (after --path). */
  paths: number;
  /** Versions it kept among those paths. */
  kept: number;
  /** Versions it forgets now (already forgotten ones are not counted again), in log order. */
  forgotten: ForgottenVersion[];
  /** Seqs of the forget records written (none for a dry run or when nothing goes). */
  recordSeqs: number[];
  dryRun: boolean;
}

interface PathHistory {
  root: string;
  path: string;
  entries: (HistoryEntry & { seq: number; recordTime: number; receivedMs: number | undefined })[];
}

/**
 * The time a policy judges a record by: the server's receive time for a pushed record (docs/format.md "Receive
 * time"), else the record's own `time` (what the log's own writer recorded, or a record pushed before synclog 0.5).
 * A client's clock never decides what a server drops once the server stamps what it takes.
 */
export function retentionTimeOf(record: { time: number; origin?: { receivedMs?: number } }): number {
  return record.origin?.receivedMs ?? record.time;
}

/** The history of every path and the versions earlier forgets already named. */
export async function readHistory(log: Log): Promise<{ byPath: Map<string, PathHistory>; forgotten: Set<string> }> {
  const byPath = new Map<string, PathHistory>();
  const forgotten = new Set<string>();
  for await (const entry of log.read({ tags: [RECORD_TAGS.version, RECORD_TAGS.delete, RECORD_TAGS.forget] })) {
    const record = decodeRecord(entry.tag, entry.payload, { file: entry.segment, offset: entry.offset, seq: entry.seq });
    if (record.kind === 'forget') {
      for (const id of record.versionIds) forgotten.add(id);
      continue;
    }
    if (record.kind !== 'version' && record.kind !== 'delete') continue;
    const key = displayPath(record);
    let history = byPath.get(key);
    if (!history) byPath.set(key, (history = { root: record.root, path: record.path, entries: [] }));
    history.entries.push({ versionId: record.versionId, time: retentionTimeOf(record), recordTime: record.time, receivedMs: record.origin?.receivedMs, kind: record.kind, seq: entry.seq });
  }
  return { byPath, forgotten };
}

function pathFilter(patterns: readonly string[] | undefined): Ignore | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  return ignore().add([...patterns]);
}

/** Plans (and unless dryRun, records) a forget on the open writer `log` (read-only for a dry run). */
export async function forgetVersions(log: Log, options: ForgetOptions): Promise<ForgetReport> {
  checkPolicy(options.policy);
  const nowMs = options.nowMs ?? Date.now();
  const filter = pathFilter(options.paths);
  const { byPath, forgotten: before } = await readHistory(log);
  const forgotten: ForgottenVersion[] = [];
  let paths = 0;
  let kept = 0;
  for (const [display, history] of byPath) {
    if (filter && !filter.ignores(display)) continue;
    paths++;
    // Versions an earlier forget named are gone as far as policies go (restic forgets snapshots once).
    const live = history.entries.filter((e) => e.kind === 'delete' || !before.has(e.versionId));
    const keep = keptVersions(live, options.policy, nowMs);
    for (const entry of live) {
      if (entry.kind !== 'version') continue;
      if (keep.has(entry.versionId)) kept++;
      else forgotten.push({ versionId: entry.versionId, root: history.root, path: history.path, time: entry.recordTime, ...(entry.receivedMs !== undefined ? { receivedMs: entry.receivedMs } : {}), seq: entry.seq });
    }
  }
  forgotten.sort((a, b) => a.seq - b.seq);
  const report: ForgetReport = { paths, kept, forgotten, recordSeqs: [], dryRun: options.dryRun === true };
  if (options.dryRun || forgotten.length === 0) return report;
  const records: ForgetRecord[] = [];
  const policy = truncateUtf8(options.policyText, LIMITS.forgetPolicyBytesMax);
  for (let i = 0; i < forgotten.length; i += LIMITS.forgetVersionIdsMax) {
    records.push({ kind: 'forget', time: nowMs, policy, versionIds: forgotten.slice(i, i + LIMITS.forgetVersionIdsMax).map((v) => v.versionId) });
  }
  // Forget records live only in version-3 segments: an older synclog then refuses the log by version instead of
  // meeting a tag it does not know.
  await log.useFormatVersion(FORMAT_VERSION_RETENTION);
  const positions = await log.appendAtomic(records.map((record) => encodeRecord(record)));
  report.recordSeqs = positions.map((p) => p.seq);
  return report;
}

function truncateUtf8(text: string, bytesMax: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= bytesMax) return text;
  return new TextDecoder().decode(bytes.subarray(0, bytesMax)).replace(/\uFFFD+$/u, '');
}
