// `synclog verify [--log DIR] [--json]`: reads every segment and frame of the log and reports damage precisely.
// Exit 0 when the log is sound (a torn tail is noted, not a problem: the next writer open cuts it), 1 when there
// are problems, each naming segment file and byte offset. --json prints exactly one object:
// { ok, segments, records, bytes, errors: [{ segment, offset, reason }] }.
// Wiring only: the walk is verifyLog in src/log (loaded lazily). Never writes to the log.
import type { Command } from 'commander';
import { defaultLogDir, LOG_OPTION_HELP } from '../default-log.js';
import type { CommandContext } from '../main.js';
import { EXIT, printJson, printLine, printNotice } from '../output.js';
import { startProgress } from '../progress.js';

interface VerifyCliOptions {
  log?: string;
  json?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command('verify')
    .description('check every segment and record of the log (checksums, framing, seq continuity); exit 1 on damage')
    .option('--log <dir>', LOG_OPTION_HELP)
    .option('--json', 'print one JSON object: { ok, segments, records, bytes, errors: [{ segment, offset, reason }] }')
    .action(async (options: VerifyCliOptions) => context.run(Boolean(options.json), () => runVerify(options)));
}

async function runVerify(options: VerifyCliOptions): Promise<number> {
  const { verifyLog } = await import('../../log/index.js');
  const json = Boolean(options.json);
  const dir = options.log ?? defaultLogDir();
  const progress = startProgress({ label: 'verifying', unit: 'bytes', json });
  const report = await verifyLog(dir, (done, total) => {
    progress.setTotal(total);
    progress.update(done);
  }).finally(() => progress.stop());
  const errors = report.errors.map((e) => ({ segment: e.segment, offset: e.offset, reason: e.reason }));
  if (json) {
    printJson({ ok: report.ok, segments: report.segments, records: report.records, bytes: report.bytes, errors });
    return report.ok ? EXIT.ok : EXIT.problem;
  }
  printLine(`log ${dir}: ${report.segments} segments, ${report.records} records, ${report.bytes} bytes`);
  if (report.tornTail) {
    const t = report.tornTail;
    printNotice(`note: torn tail in ${t.segment} at offset ${t.offset} (${t.bytesCut} bytes, ${t.reason}); the next writer open cuts it`);
  }
  for (const e of report.errors) {
    printLine(`damaged: ${e.segment} at offset ${e.offset}${e.seq !== undefined ? ` (seq ${e.seq})` : ''}: ${e.reason}`);
  }
  printLine(report.ok ? 'ok: the log is sound' : `${report.errors.length} problem(s) found`);
  return report.ok ? EXIT.ok : EXIT.problem;
}
