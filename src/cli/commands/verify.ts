// `synclog verify [--log DIR] [--json]`: reads every segment and frame of the log and every record in it, and reports
// damage precisely. Frame level (src/log verifyLog): checksums, framing, seq continuity. Content level (the store's
// verify): every record decodes, every chunk's bytes match its BLAKE3 id, every version's chunks are in the log
// before it; chunks no version references are counted, not errors (a crash between chunk and version leaves them).
// Exit 0 when sound (a torn tail is noted, not a problem: the next writer open cuts it), 1 when there are problems,
// each naming segment file and byte offset (and the chunk id when a chunk is involved). --json prints one object:
// { ok, segments, records, bytes, tornTail?: { segment, offset, bytesCut, reason }, errors: [{ segment, offset, reason, chunk? }], chunks, versions, missingChunks,
//   unreferencedChunks }. A log with no store records at all (written by something else) is checked at the frame
// level only and printed in the frame-level shape { ok, segments, records, bytes, errors }.
// Wiring only: the walks are verifyLog (src/log) and the store's verify, loaded lazily. Never writes to the log.
import type { Command } from 'commander';
import type { StoreDamageReport } from '../../store/index.js';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { describeSkipped, EXIT, printJson, printLine, printNotice } from '../output.js';
import { startProgress } from '../progress.js';

interface VerifyCliOptions {
  log?: string;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('verify')
    .description('check every segment, record and chunk of the log (checksums, framing, chunk hashes, missing chunks); exit 1 on damage')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print one JSON object: { ok, segments, records, bytes, errors: [{ segment, offset, reason }], chunks, versions, missingChunks, unreferencedChunks }')
    .action(async (options: VerifyCliOptions) => context.run(Boolean(options.json), () => runVerify(options)));
}

/** What to do about mid-log damage (issue 13 item 5): said by verify whenever it found some. */
export const DAMAGE_WAY_OUT =
  'read commands accept --skip-damaged; to get a clean log: synclog export --all --skip-damaged -o FILE, then synclog import FILE --log NEWLOG';

async function runVerify(options: VerifyCliOptions): Promise<number> {
  const { openStore } = await import('../../store/index.js');
  const json = Boolean(options.json);
  const dir = options.log ?? defaultLogDir();
  const progress = startProgress({ label: 'verifying', unit: 'bytes', json });
  const store = await openStore(dir, { readOnly: true, workers: 0 });
  const report = await store
    .verify(progress.report)
    .finally(async () => {
      progress.stop();
      await store.close();
    });
  // No store records at all: a log written by something else; only its frames mean anything (content errors do not).
  const frameOnly = report.storeRecords === 0;
  const problems = frameOnly ? report.errors.filter((e) => e.source !== 'content') : report.errors;
  const ok = problems.length === 0;
  const errors = problems.map((e) => ({ segment: e.segment, offset: e.offset, reason: e.reason, ...(e.chunk ? { chunk: e.chunk } : {}) }));
  if (json) {
    // The torn-tail note the text output prints, as data: { segment, offset, bytesCut, reason }.
    const base = { ok, segments: report.segments, records: report.records, bytes: report.bytes, ...(report.tornTail ? { tornTail: report.tornTail } : {}), ...(report.prunePending ? { prunePending: report.prunePending } : {}), errors };
    if (frameOnly) printJson(base);
    else {
      const damage = report.damage ? { damage: { ...report.damage, fix: DAMAGE_WAY_OUT } } : {};
      printJson({ ...base, chunks: report.chunks, versions: report.versions, missingChunks: report.missingChunks, unreferencedChunks: report.unreferencedChunks, ...damage });
    }
    return ok ? EXIT.ok : EXIT.problem;
  }
  printLine(`log ${dir}: ${report.segments} segments, ${report.records} records, ${report.bytes} bytes`);
  if (!frameOnly) {
    printLine(`content: ${report.versions} versions, ${report.chunks} chunks (${report.unreferencedChunks} not referenced by any version)`);
  }
  if (report.tornTail) {
    const t = report.tornTail;
    printNotice(`note: torn tail in ${t.segment} at offset ${t.offset} (${t.bytesCut} bytes, ${t.reason}); the next writer open cuts it`);
  }
  if (report.prunePending) printNotice(`note: a committed prune has ${report.prunePending.length} segment(s) to put in place; the next writer open (or synclog prune) finishes it`);
  for (const e of problems) {
    printLine(`damaged: ${e.segment} at offset ${e.offset}${e.seq !== undefined ? ` (seq ${e.seq})` : ''}: ${e.reason}`);
  }
  if (!ok && !frameOnly && report.damage) printDamage(report.damage);
  printLine(ok ? 'ok: the log is sound' : `${problems.length} problem(s) found`);
  return ok ? EXIT.ok : EXIT.problem;
}

function printDamage(damage: StoreDamageReport): void {
  for (const region of damage.skipped) printLine(describeSkipped(region));
  if (damage.affectedVersions.length === 0) printLine('affected versions: none (every version\'s content is intact)');
  else printLine(`affected versions (content not intact, ${damage.affectedVersions.length}):`);
  for (const v of damage.affectedVersions) printLine(`  ${v.path}  version ${v.versionId} (${v.missingChunks} chunk(s) missing)`);
  printLine(`what to do: ${DAMAGE_WAY_OUT}`);
}
