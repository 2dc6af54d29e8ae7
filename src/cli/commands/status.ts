// `synclog status [--log LOCAL | --config FILE] [--json]`: what a log's pushes have not shipped yet (docs/protocol.md
// "The outbox": per server, the queue's depth and age from the push cursor saved in the log) and, when `synclog run`
// runs (or ran) on that log, what its status file says (docs/config.md "Status"): what runs, the last durable
// version, each receiver's lag, hook counters and the errors of the last hour. Exit 1 when something needs
// attention (the list says what), so monitoring can run it. Also lists the sync conflict copies the log holds live
// (docs/sync.md). Reads only; never contacts a server.
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { displayName } from '../../util/display-name.js';
import { formatSize } from '../../util/format-size.js';
import { SERVICE_LIMITS } from '../../util/limits.js';
import type { ComponentStatus, ServiceStatus } from '../../service/index.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { EXIT, printJson, printLine } from '../output.js';
import { loadConfigOrReport } from './run.js';
import { UsageError } from '../../errors.js';

interface StatusCliOptions {
  log?: string;
  config?: string;
  json?: boolean;
}

const EXIT_CODES_HELP =
  '\nExit codes: 0 nothing needs attention; 1 something does (listed under "attention"): a service that died without\n' +
  'stopping or stopped updating its status, a failed part, errors in the last hour, dropped hook events, a push queue\n' +
  'or receiver lag whose oldest change is over an hour old, a --config whose service has not run yet (no log);\n' +
  '2 usage (a bad --config).';

export function register(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description("show a log's push queue and, when `synclog run` runs on it, its parts, receiver lag, hooks and recent errors")
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--config <file>', 'the log of this `synclog run` config (instead of --log)')
    .option('--json', 'one JSON object')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: StatusCliOptions) => context.run(Boolean(options.json), () => runStatus(options)));
}

interface PushRow {
  url: string;
  /** Undefined for a server configured but never reached: no cursor yet, everything is queued. */
  serverLogId: string | undefined;
  nextSeq: number;
  endSeq: number;
  queuedRecords: number;
  queuedBytes: number;
  oldestQueuedMs: number | undefined;
  ageMs: number;
  lastAckMs: number | undefined;
}

function sameUrl(a: string, b: string): boolean {
  const normal = (url: string) => (URL.canParse(url) ? new URL(url).href.replace(/\/+$/, '') : url);
  return normal(a) === normal(b);
}

/**
 * One row per server the log's push cursor names, and one per `configured` server it does not name yet (never
 * acknowledged anything: the whole log is its queue, so a push that never got through is seen, and ages).
 */
async function pushRows(logDir: string, nowMs: number, configured: readonly string[]): Promise<PushRow[]> {
  const { measurePushQueue, readPushTargets } = await import('../../net/index.js');
  const targets: { url: string; serverLogId: string | undefined; nextSeq: number; savedAtMs: number | undefined }[] = await readPushTargets(logDir);
  for (const url of configured) {
    if (!targets.some((t) => sameUrl(t.url, url))) targets.push({ url, serverLogId: undefined, nextSeq: 0, savedAtMs: undefined });
  }
  const rows: PushRow[] = [];
  for (const target of targets) {
    const queue = await measurePushQueue(logDir, target.nextSeq);
    rows.push({ url: target.url, serverLogId: target.serverLogId, nextSeq: target.nextSeq, endSeq: queue.endSeq, queuedRecords: queue.records, queuedBytes: queue.bytes, oldestQueuedMs: queue.oldestTimeMs, ageMs: queue.oldestTimeMs === undefined ? 0 : Math.max(0, nowMs - queue.oldestTimeMs), lastAckMs: target.savedAtMs });
  }
  return rows;
}

interface ReceiverLag {
  versions: number;
  oldestMs: number | undefined;
}

/** What status reads from the log's catalog: the sync conflict copies, and the lag from each applied seq asked. */
interface CatalogView {
  /** Sync (docs/sync.md): the conflict copies the folder holds now (live in the log), as display paths. */
  syncConflicts: string[];
  /** Per applied seq: the versions and deletes at or after it, and the time of the oldest. */
  lags: Map<number, ReceiverLag>;
}

async function readCatalogView(logDir: string, appliedSeqs: readonly number[]): Promise<CatalogView> {
  const { openStore } = await import('../../store/index.js');
  const { isConflictCopy } = await import('../../sync/index.js');
  const store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
  try {
    const catalog = await store.catalog();
    const paths = catalog.paths();
    const lags = new Map<number, ReceiverLag>();
    for (const appliedSeq of appliedSeqs) {
      const lag: ReceiverLag = { versions: 0, oldestMs: undefined };
      for (const p of paths) {
        if (p.latest.seq < appliedSeq) continue;
        for (const entry of catalog.history(p.root, p.path)) {
          if (entry.seq < appliedSeq) continue;
          lag.versions++;
          if (lag.oldestMs === undefined || entry.record.time < lag.oldestMs) lag.oldestMs = entry.record.time;
        }
      }
      lags.set(appliedSeq, lag);
    }
    return { syncConflicts: paths.filter((p) => !p.deleted && isConflictCopy(p.path)).map((p) => p.display), lags };
  } finally {
    await store.close();
  }
}

/** The local receivers of a status file (those it counts a lag for): a receiver `from` a server reports its own. */
function isLocalReceiver(c: ComponentStatus): boolean {
  return c.kind === 'receiver' && c.lagVersions !== undefined;
}

/**
 * A local receiver's lag as the log has it (every version at or after its applied seq), not only what the service
 * recorded itself in this run: a receiver mirroring a server that takes pushes, or catching up after a restart,
 * is behind by versions no watcher of this service recorded.
 */
function withLogLag(view: ServiceView, catalog: CatalogView): ServiceView {
  const components = view.components.map((c) => {
    const lag = isLocalReceiver(c) ? catalog.lags.get(c.appliedSeq ?? 0) : undefined;
    return lag ? { ...c, lagVersions: lag.versions, oldestUnappliedMs: lag.oldestMs } : c;
  });
  return { ...view, components };
}

type ServiceView = ServiceStatus & { running: boolean; stale: boolean };

/** Everything that needs a person, one sentence each. */
function attentionOf(service: ServiceView | undefined, rows: readonly PushRow[], nowMs: number): string[] {
  const out: string[] = [];
  for (const row of rows) {
    if (row.queuedRecords > 0 && row.ageMs > SERVICE_LIMITS.attentionAgeMs) out.push(`push to ${row.url}: ${row.queuedRecords} records queued, the oldest ${Math.round(row.ageMs / 60_000)} min old`);
  }
  if (!service) return out;
  if (!service.running && service.state !== 'stopped') out.push(`the service (pid ${service.pid}) is gone without a clean stop`);
  if (service.running && service.stale) out.push(`the service (pid ${service.pid}) has not updated its status for ${Math.round((nowMs - service.updatedMs) / 1000)} s`);
  if (!service.running) return out;
  for (const c of service.components) {
    if (c.state === 'failed') out.push(`${c.kind} ${c.name} failed${c.error ? `: ${c.error}` : ''}`);
    if (c.kind === 'receiver' && (c.lagVersions ?? 0) > 0 && c.oldestUnappliedMs !== undefined && nowMs - c.oldestUnappliedMs > SERVICE_LIMITS.attentionAgeMs) {
      out.push(`receiver ${c.name} is ${c.lagVersions} versions behind, the oldest ${Math.round((nowMs - c.oldestUnappliedMs) / 60_000)} min old`);
    }
  }
  const recent = service.errors.filter((e) => e.time >= nowMs - SERVICE_LIMITS.recentErrorsWindowMs);
  if (recent.length > 0) out.push(`${recent.length} error${recent.length === 1 ? '' : 's'} in the last hour, the last: ${recent.at(-1)!.component}: ${recent.at(-1)!.message}`);
  for (const hook of service.hooks) if (hook.dropped > 0) out.push(`hook ${hook.name} dropped ${hook.dropped} events (a full queue or a stop)`);
  return out;
}

async function runStatus(options: StatusCliOptions): Promise<number> {
  const service = await import('../../service/index.js');
  if (options.config && options.log) throw new UsageError('give --log or --config, not both', {});
  const config = options.config ? await loadConfigOrReport(options.config, Boolean(options.json)) : undefined;
  if (options.config && !config) return EXIT.usage;
  const logDir = config?.log ?? options.log ?? defaultLogDir();
  // A config whose service never ran has no log yet: that needs attention (exit 1), said as such, not as a
  // missing --log (the error every other reader gives).
  if (config && !(await stat(logDir).then((s) => s.isDirectory(), () => false))) {
    const attention = [`no log at ${displayName(logDir)} yet: the service of ${displayName(config.file)} has not run (synclog run --config FILE)`];
    if (options.json) printJson({ log: logDir, pushTargets: [], service: null, syncConflicts: [], attention });
    else for (const line of attention) printLine(`attention: ${line}`);
    return EXIT.problem;
  }
  const nowMs = Date.now();
  const file = service.statusFileFor(logDir);
  const saved = await service.readStatusFile(file);
  const configured = [...(config?.push.map((p) => p.to) ?? []), ...(saved?.components.filter((c) => c.kind === 'push').map((c) => c.name) ?? [])];
  const rows = await pushRows(logDir, nowMs, configured.filter((url, index) => configured.findIndex((u) => sameUrl(u, url)) === index));
  const catalog = await readCatalogView(logDir, saved?.components.filter(isLocalReceiver).map((c) => c.appliedSeq ?? 0) ?? []);
  const fromFile: ServiceView | undefined = saved && { ...saved, running: saved.state !== 'stopped' && service.processAlive(saved.pid), stale: nowMs - saved.updatedMs > SERVICE_LIMITS.statusStaleMs };
  const view = fromFile && withLogLag(fromFile, catalog);
  const attention = attentionOf(view, rows, nowMs);
  const syncConflicts = catalog.syncConflicts;
  const code = attention.length > 0 ? EXIT.problem : EXIT.ok;
  if (options.json) {
    printJson({ log: logDir, pushTargets: rows, service: view ?? null, syncConflicts, attention });
    return code;
  }
  if (syncConflicts.length > 0) {
    printLine(`${displayName(logDir)}: ${syncConflicts.length} sync conflict cop${syncConflicts.length === 1 ? 'y' : 'ies'} kept (docs/sync.md):`);
    for (const path of syncConflicts) printLine(`  ${displayName(path)}`);
  }
  await printPushRows(logDir, rows);
  if (view) printService(view, nowMs);
  for (const line of attention) printLine(`attention: ${line}`);
  return code;
}

async function printPushRows(logDir: string, rows: readonly PushRow[]): Promise<void> {
  if (rows.length === 0) {
    const { measurePushQueue } = await import('../../net/index.js');
    const queue = await measurePushQueue(logDir, 0);
    printLine(`${displayName(logDir)}: never pushed (${queue.records} records, ${formatSize(queue.bytes)} would be sent at most)`);
    return;
  }
  for (const row of rows) {
    const age = row.queuedRecords === 0 ? 'nothing queued' : `${row.queuedRecords} records (${formatSize(row.queuedBytes)}) queued, oldest change ${(row.ageMs / 1000).toFixed(0)} s old`;
    const server = row.serverLogId === undefined ? '' : ` (log ${row.serverLogId})`;
    const acked = row.lastAckMs === undefined ? 'never acknowledged anything' : `last acknowledged ${new Date(row.lastAckMs).toISOString()}`;
    printLine(`${displayName(logDir)} → ${row.url}${server}: ${age}; ${acked}`);
  }
}

function printService(view: ServiceView, nowMs: number): void {
  const since = new Date(view.startedMs).toISOString();
  const state = view.running ? `running (pid ${view.pid}) since ${since}` : view.state === 'stopped' ? `stopped (last run started ${since})` : `not running (pid ${view.pid} gone)`;
  printLine(`service: ${state}, config ${displayName(view.config)}`);
  if (view.lastDurable) printLine(`  last durable version: ${view.lastDurable.versionId} ${displayName(view.lastDurable.display)} (seq ${view.lastDurable.seq}, ${new Date(view.lastDurable.time).toISOString()})`);
  for (const c of view.components) {
    let detail = '';
    if (c.kind === 'receiver') detail = c.lagVersions === undefined ? ` applied up to seq ${c.appliedSeq ?? 0}` : ` ${c.lagVersions} versions behind`;
    if (c.kind === 'snapshot' && c.nextRunMs !== undefined) detail = ` next in ${Math.max(0, Math.round((c.nextRunMs - nowMs) / 1000))} s`;
    printLine(`  ${c.kind.padEnd(8)} ${displayName(c.name)}: ${c.state}${detail}${c.error ? ` (${c.error})` : ''}`);
  }
  for (const h of view.hooks) printLine(`  hook     ${displayName(h.name)}: ${h.delivered} delivered, ${h.failed} failed, ${h.dropped} dropped, ${h.queued} queued`);
  const recent = view.errors.filter((e) => e.time >= nowMs - SERVICE_LIMITS.recentErrorsWindowMs);
  printLine(`  errors in the last hour: ${recent.length}`);
}
