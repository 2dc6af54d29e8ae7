// Logs with a known history for retention tests, stress and bench: `paths` files under root "r", each with
// `versions` versions of seeded content, recorded one hour apart (times are given, so policies are exact).
import { newVersionId, type VersionRecord } from '../../src/record/index.js';
import { openStore } from '../../src/store/index.js';
import type { LogPath } from '../../src/util/log-path.js';
import { seededBytes } from './seeded-bytes.js';

export interface BuiltVersion {
  versionId: string;
  path: string;
  time: number;
  /** The seed of its content (seededBytes(bytes, seed)). */
  seed: number;
}

export interface RetentionLogOptions {
  paths: number;
  versions: number;
  /** Bytes of each version's content. */
  bytes: number;
  segmentBytesMax?: number;
  /** Time of the first version. Default 2026-01-01T00:00Z. */
  startMs?: number;
  stepMs?: number;
  /** Index of the first version written (to add versions to a log built before). Default 0. */
  firstVersion?: number;
  /** The content seed of version v of path p. Default v·1000 + p + 1 (every version its own content). */
  seedFor?: (v: number, p: number) => number;
}

export const HOUR_MS = 3_600_000;

/** Builds the log (version i of every path at startMs + i·stepMs) and returns its versions in log order. */
export async function buildRetentionLog(dir: string, options: RetentionLogOptions): Promise<BuiltVersion[]> {
  const store = await openStore(dir, { workers: 0, segmentBytesMax: options.segmentBytesMax ?? 256 * 1024 });
  const start = options.startMs ?? Date.UTC(2026, 0, 1);
  const step = options.stepMs ?? HOUR_MS;
  const built: BuiltVersion[] = [];
  try {
    const first = options.firstVersion ?? 0;
    for (let v = first; v < first + options.versions; v++) {
      for (let p = 0; p < options.paths; p++) {
        const seed = options.seedFor ? options.seedFor(v, p) : v * 1000 + p + 1;
        const content = await store.ingestStream((async function* () {
          yield seededBytes(options.bytes, seed);
        })());
        const time = start + v * step;
        const record: VersionRecord = {
          kind: 'version',
          versionId: newVersionId(time),
          time,
          root: 'r',
          path: `f${p}.bin` as LogPath,
          type: 'file',
          event: v === 0 ? 'created' : 'modified',
          size: content.size,
          mtimeMs: time,
          mode: 0o100644,
          uid: 0,
          gid: 0,
          contentId: content.contentId,
          chunks: content.chunks,
        };
        await store.appendRecords([record]);
        built.push({ versionId: record.versionId, path: record.path, time, seed });
      }
    }
  } finally {
    await store.close();
  }
  return built;
}
