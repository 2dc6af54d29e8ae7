// The replica marker (docs/format.md "Directory layout"): a log written by `synclog replicate` holds `REPLICA`, a
// small JSON object naming the log it copies. Owns reading and writing that file. Why: a replica must hold exactly
// its source's records; a local writer (watch, snapshot, import) appending to it would fork it, so Log.open refuses
// every writer but the replicator's own (LogOptions.replica).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError, wrapIoError } from '../errors.js';
import { REPLICA_FILE_NAME } from './format.js';
import type { LogFileSystem } from './log-fs.js';

export interface ReplicaMarker {
  format: 1;
  /** The source log's id (docs/protocol.md "Terminology"). */
  sourceLogId: string;
  /** Where it was replicated from (for messages; the id is what must match). */
  sourceUrl: string;
  since: string;
}

const MARKER_BYTES_MAX = 64 * 1024;

/** The marker, or undefined when the log is no replica. */
export async function readReplicaMarker(dir: string): Promise<ReplicaMarker | undefined> {
  const path = join(dir, REPLICA_FILE_NAME);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw wrapIoError(error, 'read replica marker', path);
  }
  let value: Partial<ReplicaMarker> | undefined;
  try {
    value = bytes.length <= MARKER_BYTES_MAX ? (JSON.parse(bytes.toString('utf8')) as Partial<ReplicaMarker>) : undefined;
  } catch {
    value = undefined;
  }
  if (value?.format !== 1 || typeof value.sourceLogId !== 'string' || typeof value.sourceUrl !== 'string') {
    throw new CorruptionError(`replica marker ${path} is damaged`, { file: REPLICA_FILE_NAME, reason: 'bad-replica-marker' });
  }
  return value as ReplicaMarker;
}

/** Writes the marker durably (temp, fsync, rename, fsync dir); the replicator does, before its first append. */
export async function writeReplicaMarker(dir: string, marker: Omit<ReplicaMarker, 'format' | 'since'>, fs: LogFileSystem): Promise<void> {
  const full: ReplicaMarker = { format: 1, ...marker, since: new Date().toISOString() };
  await fs.writeFileAtomic(join(dir, REPLICA_FILE_NAME), Buffer.from(JSON.stringify(full, null, 2) + '\n'));
}
