// Builds a real log through the store API for explorer tests: content via ingestStream, then the VersionRecords,
// DeleteRecords and WatchRecords the test describes, appended with appendRecords (the commit point), as a watcher
// would. Used by the component tests and the end-to-end test.
import { openStore } from '../../../src/store/index.js';
import { newVersionId, type DeleteRecord, type LogRecord, type VersionRecord, type WatchRecord } from '../../../src/record/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

export type LogStep =
  | { file: string; content: string | Uint8Array; time?: number; event?: VersionRecord['event']; owner?: string; mode?: number }
  | { delete: string; time?: number }
  | { watch: string; rootPath: string; time?: number };

let clock = Date.UTC(2024, 4, 1, 10, 0, 0);

function split(display: string): { root: string; path: LogPath } {
  const at = display.indexOf('/');
  return { root: display.slice(0, at), path: display.slice(at + 1) as LogPath };
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Appends the steps to the log at `logDir` (created if missing). Returns the records appended, in order. */
export async function appendSteps(logDir: string, steps: LogStep[]): Promise<LogRecord[]> {
  const store = await openStore(logDir, { workers: 0 });
  const appended: LogRecord[] = [];
  try {
    for (const step of steps) {
      clock += 60_000;
      const time = step.time ?? clock;
      let record: LogRecord;
      if ('watch' in step) {
        record = { kind: 'watch', event: 'start', time, root: step.watch, rootPath: step.rootPath, host: 'test', pid: process.pid, user: 'alice' } satisfies WatchRecord;
      } else if ('delete' in step) {
        record = { kind: 'delete', versionId: newVersionId(time), time, ...split(step.delete), type: 'file' } satisfies DeleteRecord;
      } else {
        const bytes = typeof step.content === 'string' ? new TextEncoder().encode(step.content) : step.content;
        const content = await store.ingestStream(once(bytes));
        record = {
          kind: 'version',
          versionId: newVersionId(time),
          time,
          ...split(step.file),
          type: 'file',
          event: step.event ?? 'modified',
          size: content.size,
          mtimeMs: time,
          mode: step.mode ?? 0o644,
          uid: 1000,
          gid: 1000,
          owner: step.owner ?? 'alice',
          contentId: content.contentId,
          chunks: content.chunks,
        } satisfies VersionRecord;
      }
      await store.appendRecords([record]);
      appended.push(record);
    }
  } finally {
    await store.close();
  }
  return appended;
}

/** Appends one symlink version (target stored as-is, never followed). */
export async function appendSymlink(logDir: string, display: string, target: string): Promise<VersionRecord> {
  const store = await openStore(logDir, { workers: 0 });
  try {
    clock += 60_000;
    const record: VersionRecord = {
      kind: 'version',
      versionId: newVersionId(clock),
      time: clock,
      ...split(display),
      type: 'symlink',
      event: 'created',
      size: target.length,
      mtimeMs: clock,
      mode: 0o777,
      uid: 1000,
      gid: 1000,
      target,
    };
    await store.appendRecords([record]);
    return record;
  } finally {
    await store.close();
  }
}
