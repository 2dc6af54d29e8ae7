// Renders benchmark rows as one markdown table: per measurement, one line per tool with median, min, max, runs,
// and synclog's ratio to that tool. Pure: rows in, text out.
// Invariant: a tool that did not run shows its note instead of numbers; nothing is ever left out silently.
import type { BenchRow } from './bench-row.js';
import { pairedRatio, ratioOf, summarize, type Summary } from './stats.js';

/** Formats a number with about three significant digits, thousands separated (1,234 / 56.7 / 0.123). */
export function formatNumber(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return '0';
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function ratioCell(row: BenchRow, tool: string, summary: Summary | undefined): string {
  const own = row.series.find((s) => s.tool === 'synclog');
  // "synclog <command>" series are synclog itself by another command (synclog checkout): no ratio against itself.
  if (!own || tool === 'synclog' || tool.startsWith('synclog ')) return '';
  const ratio = ratioOf(summarize(own.samples), summary, row.higherIsBetter);
  if (!ratio) return 'n/a';
  const paired = pairedRatio(own.samples, row.series.find((s) => s.tool === tool)?.samples ?? []);
  const pairedText = paired === undefined ? '' : `; per run ${paired.toFixed(2)}×`;
  return `${ratio.value.toFixed(2)}× (${ratio.synclogBetter ? 'synclog better' : 'synclog worse'}${pairedText})`;
}

export const TABLE_HEADER =
  '| Measurement | Unit | Tool | Median | Min | Max | Runs | synclog ÷ tool | Note |\n' +
  '| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |';

/** One markdown table for all rows (header included). */
export function renderTable(rows: readonly BenchRow[]): string {
  const lines = [TABLE_HEADER];
  for (const row of rows) {
    row.series.forEach((series, index) => {
      const summary = summarize(series.samples);
      const first = index === 0;
      const numbers = summary
        ? [formatNumber(summary.median), formatNumber(summary.min), formatNumber(summary.max), String(summary.count)]
        : ['—', '—', '—', '0'];
      const cells = [
        first ? row.name : '',
        first ? row.unit : '',
        series.tool,
        ...numbers,
        ratioCell(row, series.tool, summary),
        series.note ?? (summary ? '' : 'not run'),
      ];
      lines.push(`| ${cells.map(escapeCell).join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

/** The rows' notes as a markdown list, for under the table. */
export function renderNotes(rows: readonly BenchRow[]): string {
  return rows
    .filter((row) => row.note)
    .map((row) => `- ${row.name}: ${row.note}`)
    .join('\n');
}
