// The results report: a markdown page with when, where (cpu, cores, memory, disk fs), which commit, cache state,
// the data, every tool's version and settings, then the table and its notes. Written under bench/results/ with the
// date in its name, plus the same facts as JSON for scripts. Never overwrites an earlier report.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchRow } from './bench-row.js';
import type { MachineInfo } from './machine.js';
import { renderNotes, renderTable } from './table.js';

export interface ToolDescription {
  name: string;
  version?: string;
  settings: string;
  unavailable?: string;
}

export interface BenchReport {
  startedAt: Date;
  durationSeconds: number;
  mode: 'quick' | 'full';
  runs: number;
  machine: MachineInfo;
  /** Load average when the run ended (the machine is shared: a busy one makes numbers noisy). */
  loadAverageAfter: number[];
  cache: string;
  data: string[];
  tools: ToolDescription[];
  rows: BenchRow[];
  remarks: string[];
}

export function renderReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `# synclog benchmark, ${report.mode} run, ${report.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Commit: ${m.commit}${m.dirty ? ' (work tree had uncommitted changes)' : ''}`,
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, disk ${m.diskFs}, Linux ${m.kernel}, Node ${m.node}`,
    `- Load average at start ${m.loadAverage.join(' / ')}, at end ${report.loadAverageAfter.join(' / ')} (1/5/15 min)`,
    `- Cache: ${report.cache}`,
    `- Runs per measurement: ${report.runs} (median, min, max); whole run took ${(report.durationSeconds / 60).toFixed(1)} min`,
    ...report.data.map((line) => `- Data: ${line}`),
    '',
    '## Tools',
    '',
    ...report.tools.map((tool) => `- ${tool.name}: ${tool.unavailable ?? tool.version ?? ''}; ${tool.settings}`),
    '',
    '## Results',
    '',
    'Ratios are synclog ÷ tool on medians; "better" follows the unit (higher MB/s, lower s and MB). "per run" is the',
    'median of the ratios within each run (tools of one run ran minutes apart), shown when every run of both succeeded.',
    '',
    renderTable(report.rows),
    '',
  ];
  const notes = renderNotes(report.rows);
  if (notes || report.remarks.length > 0) lines.push('## Notes', '', ...report.remarks.map((r) => `- ${r}`), notes, '');
  return lines.join('\n');
}

/** Writes `<date>-<time>-<mode>-<commit>.md` and `.json` into `dir`; returns the markdown path. */
export async function writeReport(dir: string, report: BenchReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.toISOString().slice(0, 16).replace(/[:T]/g, '-');
  const base = join(dir, `${stamp}-${report.mode}-${report.machine.commit}`);
  await writeFile(`${base}.md`, renderReport(report), { flag: 'wx' });
  await writeFile(`${base}.json`, JSON.stringify(report, null, 2) + '\n', { flag: 'wx' });
  return `${base}.md`;
}
