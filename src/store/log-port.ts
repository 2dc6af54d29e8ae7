// The part of the log (src/log) the store uses, as a structural type: the store depends on these members only.
// Types only; the Log class itself is loaded from src/log/index.ts by openStore.
import type { AppendInput, HintedPosition, LogEntry, LogOptions, ReadOptions, RecordPosition, RecordReadResult, RecoveryReport, SegmentInfo, SkippedRegion, LogVerifyReport } from '../log/types.js';

export interface StoreLog {
  readonly recovery: RecoveryReport | undefined;
  readonly nextSeq: number;
  /** Damaged regions reads went past (a log opened with skipDamaged; empty otherwise). */
  readonly skipped?: readonly SkippedRegion[];
  /** Every record below this seq is durable (a read-only log: the end when it was opened). */
  readonly nextDurableSeq?: number;
  append(input: AppendInput): Promise<RecordPosition>;
  appendMany(inputs: AppendInput[]): Promise<RecordPosition[]>;
  appendAtomic(inputs: AsyncIterable<AppendInput> | Iterable<AppendInput>): Promise<RecordPosition[]>;
  read(options?: ReadOptions): AsyncIterableIterator<LogEntry>;
  readAt(position: { segment: string; offset: number }, payloadBytesHint?: number): Promise<{ tag: number; payload: Uint8Array }>;
  readManyAt(positions: readonly HintedPosition[]): Promise<RecordReadResult[]>;
  sync(): Promise<void>;
  segments(): Promise<SegmentInfo[]>;
  close(): Promise<void>;
}

export interface LogModule {
  Log: { open(dir: string, options?: LogOptions): Promise<StoreLog> };
  verifyLog(dir: string, onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<LogVerifyReport>;
}
