// `synclog status --log LOCAL [--json]`: what a log's pushes have not shipped yet (docs/protocol.md "The outbox"):
// per server it pushed to, the queue's depth (records, bytes) and age (when its oldest waiting change was
// recorded), from the push cursor saved in the log; and the sync conflict copies the log holds live (docs/sync.md).
// Reads only; never contacts a server.
import type { Command } from 'commander';
import { displayName } from '../../util/display-name.js';
import { formatSize } from '../../util/format-size.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { printJson, printLine } from '../output.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description("show a log's push queue: records and bytes not yet acknowledged by each server it pushes to, and their age")
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'one JSON object')
    .action(async (options: { log?: string; json?: boolean }) => context.run(Boolean(options.json), () => runStatus(options)));
}

/** Sync (docs/sync.md): the conflict copies the folder holds now (live in the log), as display paths. */
async function liveConflictCopies(logDir: string): Promise<string[]> {
  const { openStore } = await import('../../store/index.js');
  const { isConflictCopy } = await import('../../sync/index.js');
  const store = await openStore(logDir, { readOnly: true, workers: 0, indexOnDemand: true });
  try {
    return (await store.catalog()).paths().filter((p) => !p.deleted && isConflictCopy(p.path)).map((p) => p.display);
  } finally {
    await store.close();
  }
}

async function runStatus(options: { log?: string; json?: boolean }): Promise<number> {
  const { measurePushQueue, readPushTargets } = await import('../../net/index.js');
  const logDir = options.log ?? defaultLogDir();
  const targets = await readPushTargets(logDir);
  const nowMs = Date.now();
  const rows = [];
  for (const target of targets) {
    const queue = await measurePushQueue(logDir, target.nextSeq);
    rows.push({ url: target.url, serverLogId: target.serverLogId, nextSeq: target.nextSeq, endSeq: queue.endSeq, queuedRecords: queue.records, queuedBytes: queue.bytes, oldestQueuedMs: queue.oldestTimeMs, ageMs: queue.oldestTimeMs === undefined ? 0 : Math.max(0, nowMs - queue.oldestTimeMs), lastAckMs: target.savedAtMs });
  }
  const syncConflicts = await liveConflictCopies(logDir);
  if (options.json) {
    printJson({ log: logDir, pushTargets: rows, syncConflicts });
    return 0;
  }
  if (syncConflicts.length > 0) {
    printLine(`${displayName(logDir)}: ${syncConflicts.length} sync conflict cop${syncConflicts.length === 1 ? 'y' : 'ies'} kept (docs/sync.md):`);
    for (const path of syncConflicts) printLine(`  ${displayName(path)}`);
  }
  if (rows.length === 0) {
    const queue = await measurePushQueue(logDir, 0);
    printLine(`${displayName(logDir)}: never pushed (${queue.records} records, ${formatSize(queue.bytes)} would be sent at most)`);
    return 0;
  }
  for (const row of rows) {
    const age = row.queuedRecords === 0 ? 'nothing queued' : `${row.queuedRecords} records (${formatSize(row.queuedBytes)}) queued, oldest change ${(row.ageMs / 1000).toFixed(0)} s old`;
    printLine(`${displayName(logDir)} → ${row.url} (log ${row.serverLogId}): ${age}; last acknowledged ${new Date(row.lastAckMs).toISOString()}`);
  }
  return 0;
}
