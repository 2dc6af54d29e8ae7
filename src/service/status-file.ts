// The status file a running `synclog run` keeps beside its log (`<log>.status.json`, docs/config.md "Status"):
// what runs, the last durable version, each receiver's lag, each hook's counters and the errors of the last hour,
// rewritten atomically (temp file, fsync, rename) every SERVICE_LIMITS.statusIntervalMs and at stop. `synclog
// status` reads it; nothing else depends on it, and a missing or unreadable one means "no service ran here".
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/fs-durable.js';
import type { HookCounters } from './hooks.js';

export const STATUS_FILE_VERSION = 1;

export function statusFileFor(logDir: string): string {
  return `${logDir.replace(/\/+$/, '')}.status.json`;
}

export interface ComponentStatus {
  kind: 'watch' | 'snapshot' | 'serve' | 'receiver' | 'push';
  /** What it works on: a folder, a URL, a destination. */
  name: string;
  state: 'starting' | 'running' | 'failed' | 'stopped';
  error?: string;
  /** serve: the URL it listens on. */
  url?: string;
  /** receiver: the seq after the last change it applied, and versions recorded that it has not applied yet. */
  appliedSeq?: number;
  lagVersions?: number;
  /** receiver: when the oldest change it has not applied was recorded. */
  oldestUnappliedMs?: number;
  /** snapshot: the last pass's end and the next one's start. */
  lastRunMs?: number;
  nextRunMs?: number;
}

export interface ServiceStatus {
  v: typeof STATUS_FILE_VERSION;
  pid: number;
  config: string;
  log: string;
  state: 'running' | 'stopping' | 'stopped';
  startedMs: number;
  updatedMs: number;
  lastDurable: { seq: number; versionId: string; display: string; time: number } | undefined;
  components: ComponentStatus[];
  hooks: HookCounters[];
  errors: { time: number; component: string; message: string }[];
}

export async function writeStatusFile(file: string, status: ServiceStatus): Promise<void> {
  await writeFileAtomic(file, Buffer.from(`${JSON.stringify(status, null, 1)}\n`), { skipDirSync: true });
}

/** The status file's content, or undefined when there is none (or it is not one this version reads). */
export async function readStatusFile(file: string): Promise<ServiceStatus | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as ServiceStatus;
    return value.v === STATUS_FILE_VERSION ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the file is still there (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
