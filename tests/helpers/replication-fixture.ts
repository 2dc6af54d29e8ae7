// What the replication tests share, over HTTP (net-replicate) and JetStream (jetstream-*): a source log holding
// files (one of several chunks) and an atomic group of two versions, built in-process or through the CLI; the
// records of a log as comparable values; and every record a stream holds, read through StreamLog (which checks
// density and seq = stream sequence − 1 on the way).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { StreamLog, type JetStreamConnectOptions } from '../../src/jetstream/index.js';
import { FRAME_OFFSET, Log, type LogEntry } from '../../src/log/index.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';
import { runCli } from './run-cli.js';
import { seededBytes } from './seeded-bytes.js';
import { makeTmpDir } from './tmp-dir.js';

/** Something to close after a test (afterEach runs them newest first). */
export type Closer = () => Promise<unknown> | void;

/** A log's records with their frames. */
export async function logEntries(dir: string): Promise<LogEntry[]> {
  const log = await Log.open(dir, { readOnly: true });
  const out: LogEntry[] = [];
  for await (const e of log.read({ withFrames: true })) out.push(e);
  await log.close();
  return out;
}

/** A log's records as comparable values: seq, tag, frame flags (atomic groups), payload in hex. */
export async function logFrames(dir: string): Promise<{ seq: number; tag: number; flags: number; payload: string }[]> {
  return (await logEntries(dir)).map((e) => ({ seq: e.seq, tag: e.tag, flags: e.frame![FRAME_OFFSET.flags]!, payload: Buffer.from(e.payload).toString('hex') }));
}

/** seq and payload of each record: what a stream and a replica must hold exactly. */
export function seqPayloads(entries: readonly LogEntry[]): { seq: number; payload: string }[] {
  return entries.map((e) => ({ seq: e.seq, payload: Buffer.from(e.payload).toString('hex') }));
}

/**
 * A source log recorded in-process: four files (in the top folder and sub/, up to 300 KB: several chunks), then an
 * atomic group of two versions; the builder stays open (in `closers`) to record more.
 */
export async function sourceWithGroup(closers: Closer[]): Promise<{ base: string; sourceDir: string; logDir: string; builder: LogBuilder }> {
  const base = await makeTmpDir();
  const sourceDir = join(base, 'src');
  await mkdir(join(sourceDir, 'sub'), { recursive: true });
  for (let i = 0; i < 4; i++) await writeFile(join(sourceDir, i % 2 ? 'sub' : '', `f${i}.bin`), seededBytes(3000 + i * 100_000, i + 1));
  const logDir = join(base, 'log');
  const builder = await LogBuilder.open(logDir, sourceDir);
  closers.push(() => builder.close());
  await builder.recordAll();
  await writeFile(join(sourceDir, 'g1.txt'), 'group one\n');
  await writeFile(join(sourceDir, 'g2.txt'), 'group two\n');
  const v1 = (await builder.versionOf('g1.txt'))!;
  const v2 = (await builder.versionOf('g2.txt'))!;
  await builder.store.appendAtomic([v1, v2]);
  return { base, sourceDir, logDir, builder };
}

/** A tree of `files` files (every third in the top folder, the rest in sub/) recorded by `synclog snapshot`. */
export async function recordedTree(files: number, fileBytes: (i: number) => number, prefix = 'synclog-js-'): Promise<{ base: string; tree: string; log: string }> {
  const base = await makeTmpDir(prefix);
  const tree = join(base, 'data');
  await mkdir(join(tree, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) await writeFile(join(tree, i % 3 ? 'sub' : '', `f${i}.bin`), seededBytes(fileBytes(i), i + 11));
  const log = join(base, 'log');
  const snap = await runCli(['snapshot', tree, '--log', log], { timeoutMs: 180_000 });
  expect(snap.code, snap.stderr).toBe(0);
  return { base, tree, log };
}

/** Every record in the stream, unfiltered, as seq and payload (StreamLog refuses a gap or a misplaced record). */
export async function streamRecords(url: string, stream: string, options: JetStreamConnectOptions = {}): Promise<{ seq: number; payload: string }[]> {
  const reader = await StreamLog.open(url, stream, { giveUpAfterMs: 0, ...options });
  try {
    const out: LogEntry[] = [];
    for await (const e of reader.read()) out.push(e);
    return seqPayloads(out);
  } finally {
    await reader.close();
  }
}
