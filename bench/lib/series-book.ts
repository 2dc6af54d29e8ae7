// Collects samples per (measurement, tool) while a scenario runs, then turns them into BenchRows in a fixed tool
// order. Keeps the first failure note per tool so a tool that broke says why instead of vanishing from the table.
import type { BenchRow, BenchSeries } from './bench-row.js';

export interface MeasurementSpec {
  key: string;
  name: string;
  unit: string;
  higherIsBetter: boolean;
  note?: string;
}

export class SeriesBook {
  private readonly samples = new Map<string, Map<string, number[]>>();
  private readonly notes = new Map<string, Map<string, string>>();

  constructor(
    private readonly measurements: readonly MeasurementSpec[],
    private readonly toolOrder: readonly string[],
  ) {}

  add(key: string, tool: string, value: number): void {
    const byTool = this.samples.get(key) ?? new Map<string, number[]>();
    this.samples.set(key, byTool);
    byTool.set(tool, [...(byTool.get(tool) ?? []), value]);
  }

  /** Notes a tool's problem on one measurement (the first note wins). */
  note(key: string, tool: string, text: string): void {
    const byTool = this.notes.get(key) ?? new Map<string, string>();
    this.notes.set(key, byTool);
    if (!byTool.has(tool)) byTool.set(tool, text);
  }

  /** Notes a problem on every measurement (a tool that is unavailable or failed before measuring). */
  noteAll(tool: string, text: string): void {
    for (const measurement of this.measurements) this.note(measurement.key, tool, text);
  }

  /** Tools appear only on measurements they take part in: `tools(key)` lists them (default: all tools). */
  rows(tools: (key: string) => readonly string[] = () => this.toolOrder): BenchRow[] {
    return this.measurements.map((measurement) => {
      const series: BenchSeries[] = tools(measurement.key).map((tool) => {
        const note = this.notes.get(measurement.key)?.get(tool);
        const entry: BenchSeries = { tool, samples: this.samples.get(measurement.key)?.get(tool) ?? [] };
        if (note) entry.note = note;
        return entry;
      });
      const row: BenchRow = { name: measurement.name, unit: measurement.unit, higherIsBetter: measurement.higherIsBetter, series };
      if (measurement.note) row.note = measurement.note;
      return row;
    });
  }
}

/** A short, one-line description of an error for a table cell. */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return `failed: ${text.replace(/\s+/g, ' ').slice(0, 200)}`;
}
