// ServiceRunner: everything a config file lists, in one process (docs/config.md). It starts the same parts the
// single commands start (AppendOnlyLogWatcher as `watch`, LogServer as `serve`, LogReceiver as `receive`, push()
// as `push`), as library calls; it owns only the wiring: one store shared by the live watchers and the periodic
// snapshots (a log has one writer), the hooks, the status file and the order of start and stop.
// Invariant: stop() resolves only after every change the watchers saw is durable (their stop drains and fsyncs)
// and the store is closed; hooks and the status file never hold up recording.
import { EventEmitter } from 'node:events';
import { LogReceiver } from '../receiver/index.js';
import { openStore, type StoreApi } from '../store/index.js';
import { displayName } from '../util/display-name.js';
import { SERVICE_LIMITS } from '../util/limits.js';
import { AppendOnlyLogWatcher, type WatcherChange } from '../watcher/index.js';
import type { FolderConfig, ServeConfig, ServiceConfig } from './config.js';
import { changeEvent, type HookEvent } from './hook-event.js';
import { createHooks, type Hook } from './hooks.js';
import { inotifyAdvice, watchesNeeded } from './inotify.js';
import { startPushers, startServer, type RunningPusher, type RunningServer, remoteSource } from './parts.js';
import { Schedule } from './schedule.js';
import { describeRetainPass, ServerRetention } from './server-retention.js';
import { statusFileFor, writeStatusFile, type ComponentStatus, type ServiceStatus } from './status-file.js';

/** One line of the service's log. `change` is set for event 'version' (the CLI formats it as `watch` does). */
export interface ServiceLogEvent {
  level: 'info' | 'warn' | 'error';
  component: string;
  event: string;
  message: string;
  change?: WatcherChange;
  data?: Record<string, unknown>;
}

export interface ServiceRunnerEvents {
  log: [event: ServiceLogEvent];
}

/** Recorded versions remembered for receiver lag: the oldest drop off first (the lag then says "at least"). */
const RECORDED_REMEMBERED_MAX = 100_000;
/** How long a stopping service gives queued hook runs before it drops the rest. */
const HOOK_GRACE_MS = 5_000;

interface ReceiverRuntime {
  receiver: LogReceiver;
  status: ComponentStatus;
  local: boolean;
}

export class ServiceRunner extends EventEmitter<ServiceRunnerEvents> {
  readonly statusFile: string;
  private store: StoreApi | undefined;
  private readonly watchers: { watcher: AppendOnlyLogWatcher; status: ComponentStatus }[] = [];
  private readonly schedules: { schedule: Schedule; status: ComponentStatus }[] = [];
  private readonly receivers: ReceiverRuntime[] = [];
  private server: RunningServer | undefined;
  private retention: ServerRetention | undefined;
  private pushers: RunningPusher[] = [];
  private hooks: Hook[] = [];
  private readonly recorded: { seq: number; time: number }[] = [];
  private readonly errors: ServiceStatus['errors'] = [];
  private lastDurable: ServiceStatus['lastDurable'];
  private state: ServiceStatus['state'] = 'running';
  private readonly startedMs = Date.now();
  private statusTimer: NodeJS.Timeout | undefined;
  private statusWrite: Promise<void> = Promise.resolve();
  private stopping: Promise<number> | undefined;
  /** Snapshot passes are serialised: the shared store takes one scan at a time. */
  private snapshotChain: Promise<void> = Promise.resolve();
  /** The advice for a watcher out of inotify watches is said once (every root that hits the limit reports it). */
  private watchLimitAdvised = false;

  constructor(readonly config: ServiceConfig) {
    super();
    this.statusFile = statusFileFor(config.log);
  }

  /** Starts every part; on a failure stops what started and throws. Receivers catch up in the background. */
  async start(): Promise<void> {
    try {
      this.hooks = await createHooks(this.config.hooks, {
        // Errors (kept for status: "errors in the last hour", exit 1) but never offered to the hooks: a failing
        // hook for 'error' events would feed itself.
        failed: (hook, event, reason) => this.say('error', 'hook', 'hook-failed', `${hook}: ${event.kind}${event.change ? ` ${displayName(event.change.display)}` : ''}: ${reason}`, { hook }),
        full: (hook, waiting) => this.say('error', 'hook', 'hook-dropped', `${hook}: ${waiting} events wait; dropping new ones until it catches up (the status counts them)`, { hook }),
      });
      const live = this.config.folders.filter((f) => f.everyMs === undefined);
      await this.checkInotify(live);
      if (this.config.folders.length > 0) {
        this.store = await openStore(this.config.log);
        for (const folder of live) await this.startWatcher(folder);
      }
      if (this.config.serve) {
        this.server = await startServer(this.config.serve, this.config.log, (error) => this.fail('serve', `internal error answering a request: ${(error as Error).message}`));
        this.say('info', 'serve', 'listening', `serving ${displayName(this.server.server.logDir)} on ${this.server.url}${this.server.tokensRequired ? ' (token required)' : ''}`, { url: this.server.url });
      }
      for (const warning of this.server?.warnings ?? []) this.say('warn', 'serve', 'warning', warning);
      if (this.server && this.config.serve?.retain) this.startRetention(this.server, this.config.serve.retain);
      for (const config of this.config.receivers) await this.startReceiver(config);
      this.pushers = await startPushers(this.config.push, this.config.log, {
        say: (level, event, message) => this.say(level, 'push', event, message),
        failed: (url, error) => this.fail('push', `pushing to ${url} stopped: ${error.message}`),
      });
      for (const folder of this.config.folders.filter((f) => f.everyMs !== undefined)) this.startSchedule(folder);
    } catch (error) {
      await this.stop().catch(() => {});
      throw error;
    }
    this.statusTimer = setInterval(() => void this.publish(), SERVICE_LIMITS.statusIntervalMs);
    this.statusTimer.unref();
    await this.publish();
  }

  /**
   * Stops everything, in the order that keeps what was seen: snapshots and watchers first (their stop records and
   * fsyncs everything pending), then receivers (cursor saved), pushes (the last records shipped if the server is
   * there), the server, the store, the hooks. Resolves with the exit code: 0, or 1 when a part failed or changes
   * stayed unrecorded (a full disk). Idempotent.
   */
  stop(): Promise<number> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<number> {
    this.state = 'stopping';
    clearInterval(this.statusTimer);
    await Promise.all(this.schedules.map(({ schedule }) => schedule.stop()));
    await this.snapshotChain;
    await this.retention?.stop();
    let notRecorded = 0;
    for (const { watcher, status } of this.watchers) {
      await watcher.stop().catch((error: Error) => this.fail('watch', `stopping ${displayName(status.name)}: ${error.message}`));
      notRecorded += watcher.getStats().notRecorded;
      status.state = 'stopped';
    }
    for (const runtime of this.receivers) {
      await runtime.receiver.stop().catch((error: Error) => this.fail('receiver', `stopping ${displayName(runtime.status.name)}: ${error.message}`));
      if (runtime.status.state !== 'failed') runtime.status.state = 'stopped';
    }
    const pushed = await Promise.all(this.pushers.map((p) => p.finish()));
    await this.server?.server.close();
    await this.store?.close();
    await Promise.all(this.hooks.map((hook) => hook.close(HOOK_GRACE_MS)));
    if (notRecorded > 0) this.say('error', 'watch', 'not-recorded', `${notRecorded} changes were not recorded (the log's disk was full); the next start's scan records them`);
    this.state = 'stopped';
    await this.publish();
    const failed = this.statusNow().components.some((c) => c.state === 'failed') || pushed.includes('failed');
    return failed || notRecorded > 0 ? 1 : 0;
  }

  /** The state as `synclog status` reads it. */
  statusNow(): ServiceStatus {
    const cutoff = Date.now() - SERVICE_LIMITS.recentErrorsWindowMs;
    return {
      v: 1,
      pid: process.pid,
      config: this.config.file,
      log: this.config.log,
      state: this.state,
      startedMs: this.startedMs,
      updatedMs: Date.now(),
      lastDurable: this.lastDurable,
      components: [
        ...this.watchers.map((w) => w.status),
        ...this.schedules.map(({ schedule, status }) => ({ ...status, nextRunMs: schedule.nextRunMs })),
        ...(this.server ? [{ kind: 'serve' as const, name: this.server.url, url: this.server.url, state: this.state === 'stopped' ? ('stopped' as const) : ('running' as const) }] : []),
        ...this.receivers.map((r) => this.receiverStatus(r)),
        ...this.pushers.map((p) => p.status),
      ],
      hooks: this.hooks.map((hook) => ({ ...hook.counters })),
      errors: this.errors.filter((e) => e.time >= cutoff),
    };
  }

  private receiverStatus(runtime: ReceiverRuntime): ComponentStatus {
    const status = { ...runtime.status };
    if (!runtime.local) return status;
    const applied = status.appliedSeq ?? 0;
    const waiting = this.recorded.filter((r) => r.seq >= applied);
    status.lagVersions = waiting.length;
    status.oldestUnappliedMs = waiting[0]?.time;
    return status;
  }

  private publish(): Promise<void> {
    this.statusWrite = this.statusWrite
      .then(() => writeStatusFile(this.statusFile, this.statusNow()))
      .catch((error: Error) => this.say('warn', 'status', 'status-file', `cannot write ${displayName(this.statusFile)}: ${error.message}`));
    return this.statusWrite;
  }

  /** `serve.retain`: forget + prune on the server's own writer, at start and every `retain_every`. */
  private startRetention(server: RunningServer, retain: NonNullable<ServeConfig['retain']>): void {
    this.retention = new ServerRetention(server.server, {
      ...retain,
      onPass: (report, tookMs) =>
        this.say('info', 'serve', 'retained', describeRetainPass(report, tookMs), { forgotten: report.forget.forgotten.length, kept: report.forget.kept, bytesFreed: report.prune?.bytesFreed ?? 0 }),
      onError: (error) => this.fail('serve', `retention pass failed (the next one runs on schedule): ${error instanceof Error ? error.message : String(error)}`),
    });
    this.retention.start();
    this.say('info', 'serve', 'retention-scheduled', `retention ${retain.policyText} now and every ${Math.round(retain.everyMs / 1000)} s`);
  }

  private say(level: ServiceLogEvent['level'], component: string, event: string, message: string, data?: Record<string, unknown>): void {
    this.emit('log', { level, component, event, message, data });
    if (level === 'error') this.remember(component, message);
  }

  /** An error: logged, kept for status, and offered to the hooks that want 'error'. */
  private fail(component: string, message: string, code?: string): void {
    this.say('error', component, 'error', message, code ? { code } : undefined);
    this.offer({ v: 1, kind: 'error', time: Date.now(), error: { component, message, ...(code ? { code } : {}) } });
  }

  private remember(component: string, message: string): void {
    this.errors.push({ time: Date.now(), component, message });
    if (this.errors.length > SERVICE_LIMITS.recentErrorsMax) this.errors.shift();
  }

  private offer(event: HookEvent): void {
    for (const hook of this.hooks) hook.offer(event);
  }

  /** At start: warns when the live folders need more inotify watches than the limit leaves. */
  private async checkInotify(live: readonly FolderConfig[]): Promise<void> {
    const counted = await watchesNeeded(live.filter((f) => !f.poll));
    const advice = inotifyAdvice(counted.needed, counted.limit);
    if (advice) this.say('warn', 'watch', 'inotify-limit', advice, counted);
  }

  /** A watcher ran out of inotify watches: says (once) how many the live folders need and how to raise the limit. */
  private async adviseWatchLimit(): Promise<void> {
    if (this.watchLimitAdvised) return;
    this.watchLimitAdvised = true;
    const counted = await watchesNeeded(this.config.folders.filter((f) => f.everyMs === undefined && !f.poll));
    const advice = inotifyAdvice(counted.needed, counted.limit, { hit: true });
    if (advice) this.say('error', 'watch', 'inotify-limit', advice, counted);
  }

  /** The events every watcher (live or snapshot) reports, as the service logs and hooks see them. */
  private wire(watcher: AppendOnlyLogWatcher, component: 'watch' | 'snapshot'): void {
    watcher.on('version', (change) => {
      this.lastDurable = { seq: change.seq, versionId: change.versionId, display: change.display, time: change.time };
      if (this.config.receivers.some((r) => r.from === undefined)) this.rememberRecorded(change);
      this.emit('log', { level: 'info', component, event: 'version', message: change.display, change });
      this.offer(changeEvent(change));
    });
    watcher.on('error', (error) => {
      const details = (error as { details?: { reason?: string; fix?: string } }).details;
      this.fail(component, details?.fix ? `${error.message} (${details.fix})` : error.message, (error as { code?: string }).code);
      if (details?.reason === 'watch-limit') void this.adviseWatchLimit();
    });
    watcher.on('resumed', ({ stalledMs }) => this.say('info', component, 'resumed', `the log's disk has room again after ${(stalledMs / 1000).toFixed(1)} s: recording the changes that waited`));
  }

  /** Keeps a recorded version for the local receivers' lag, forgetting what every one of them has applied. */
  private rememberRecorded(change: WatcherChange): void {
    this.recorded.push({ seq: change.seq, time: change.time });
    const local = this.receivers.filter((r) => r.local);
    const applied = local.length === 0 ? 0 : Math.min(...local.map((r) => r.status.appliedSeq ?? 0));
    while (this.recorded.length > 0 && (this.recorded[0]!.seq < applied || this.recorded.length > RECORDED_REMEMBERED_MAX)) this.recorded.shift();
  }

  private async startWatcher(folder: FolderConfig): Promise<void> {
    const watcher = new AppendOnlyLogWatcher({ watchPaths: [folder.path], store: this.store, exclude: folder.exclude, poll: folder.poll, debounceMs: folder.debounceMs });
    const status: ComponentStatus = { kind: 'watch', name: folder.path, state: 'starting' };
    this.wire(watcher, 'watch');
    this.watchers.push({ watcher, status });
    await watcher.start();
    status.state = 'running';
    const root = watcher.getStats().roots[0];
    this.say('info', 'watch', 'ready', `watching ${displayName(folder.path)} as ${displayName(root?.name ?? '?')} → ${displayName(this.config.log)}`, { root: root?.name, path: folder.path });
  }

  private startSchedule(folder: FolderConfig): void {
    const status: ComponentStatus = { kind: 'snapshot', name: folder.path, state: 'running' };
    const pass = async () => {
      const run = this.snapshotChain.then(() => this.snapshotOnce(folder, status));
      this.snapshotChain = run.catch(() => {});
      await run;
    };
    const schedule = new Schedule(folder.everyMs!, folder.jitterMs, pass);
    this.schedules.push({ schedule, status });
    schedule.start();
    this.say('info', 'snapshot', 'scheduled', `snapshot of ${displayName(folder.path)} now and every ${Math.round(folder.everyMs! / 1000)} s (± ${Math.round(folder.jitterMs / 1000)} s)`);
  }

  private async snapshotOnce(folder: FolderConfig, status: ComponentStatus): Promise<void> {
    if (this.state !== 'running') return;
    const watcher = new AppendOnlyLogWatcher({ watchPaths: [folder.path], store: this.store, exclude: folder.exclude });
    this.wire(watcher, 'snapshot');
    try {
      await watcher.start({ live: false });
    } catch (error) {
      this.fail('snapshot', `${displayName(folder.path)}: ${(error as Error).message}`);
    } finally {
      await watcher.stop().catch((error: Error) => this.fail('snapshot', error.message));
    }
    const stats = watcher.getStats();
    status.lastRunMs = Date.now();
    this.say('info', 'snapshot', 'snapshot', `snapshot of ${displayName(folder.path)}: ${stats.versions} versions, ${stats.errors} errors`, { versions: stats.versions });
    this.offer({ v: 1, kind: 'snapshot', time: Date.now(), snapshot: { folder: folder.path, versions: stats.versions, errors: stats.errors } });
  }

  private async startReceiver(config: ServiceConfig['receivers'][number]): Promise<void> {
    const source = config.from ? await remoteSource(config.from, config.tokenFile, config.ca, (message) => this.say('warn', 'receiver', 'away', message)) : undefined;
    const receiver = new LogReceiver({ logPath: config.from ?? this.config.log, source, outputPath: config.out, mode: config.mode });
    const status: ComponentStatus = { kind: 'receiver', name: config.out, state: 'starting' };
    const runtime: ReceiverRuntime = { receiver, status, local: config.from === undefined };
    this.receivers.push(runtime);
    receiver.on('applied', (change) => (status.appliedSeq = Math.max(status.appliedSeq ?? 0, change.seq + 1)));
    receiver.on('caught-up', (summary) => {
      status.appliedSeq = Math.max(status.appliedSeq ?? 0, summary.nextSeq);
      status.state = 'running';
      this.say('info', 'receiver', 'caught-up', `${displayName(config.out)}: caught up (${summary.changes} changes), following ${displayName(config.from ?? this.config.log)}`);
    });
    receiver.on('warning', (w) => this.say('warn', 'receiver', 'warning', `${displayName(config.out)}: ${w.message}`));
    receiver.on('error', (error) => {
      status.state = 'failed';
      status.error = error.message;
      this.fail('receiver', `${displayName(config.out)} stopped: ${error.message}`);
    });
    // The catch-up may be long (a new destination): it runs in the background, the service is ready before.
    receiver.start().catch((error: Error) => {
      status.state = 'failed';
      status.error = error.message;
      this.fail('receiver', `${displayName(config.out)}: ${error.message}`, (error as { code?: string }).code);
    });
  }
}
