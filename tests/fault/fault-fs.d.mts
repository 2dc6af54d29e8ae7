// Types of fault-fs.mjs (plain JS so that the crash child can run it without a TypeScript loader).
import type { LogFileSystem } from '../../src/log/log-fs.js';

export interface FaultFileSystemOptions {
  /** Never fdatasync a segment, and journal nothing for it: a writer that never syncs. */
  skipDatasync?: boolean;
  /** Make every fdatasync this much slower (a slow disk). */
  datasyncDelayMs?: number;
}

/** A LogFileSystem that does the real operations and journals what each made durable. `close` closes the journal. */
export function createFaultFileSystem(real: LogFileSystem, journalPath: string, options?: FaultFileSystemOptions): LogFileSystem & { close(): void };

export interface SyncJournalState {
  /** Synced length per file (absolute path). */
  synced: Map<string, number>;
  /** Synced bytes per file synced by descriptor (the durable watermark). */
  contents: Map<string, Buffer>;
  /** Per directory, the names its last fsync covered. */
  names: Map<string, Set<string>>;
}

export function readSyncJournal(journalPath: string): SyncJournalState;

export interface PowerCutReport {
  /** Names removed: no directory fsync covered them. */
  removed: string[];
  /** Unsynced bytes dropped from files. */
  bytesDropped: number;
  filesCut: number;
  /** Files given their synced content back. */
  contentsRestored: number;
}

/** Simulates a power cut in `dir` from what the journal says was durable (see fault-fs.mjs). */
export function cutPower(journalPath: string, dir: string, options?: { random?: () => number }): PowerCutReport;
