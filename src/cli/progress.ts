// Progress for long work (initial scans, catch-up, export, import): a bar on stderr when stderr is a terminal and
// output is not --json; otherwise silent, so scripts and logs stay clean. Built on cli-progress, loaded only when a
// bar is shown (its ~20 modules are start-up time every other run would pay for nothing).
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';
import { visibleText } from '../util/display-name.js';

const require = createRequire(import.meta.url);

export interface Progress {
  /** Sets the total when it becomes known (0 or undefined: unknown, shows a counter). */
  setTotal(total: number): void;
  update(done: number, payload?: { detail?: string }): void;
  increment(by?: number, payload?: { detail?: string }): void;
  /** An `onProgress(done, total)` callback for the API's long operations (total may grow as work is found). */
  readonly report: (done: number, total: number) => void;
  stop(): void;
  /** False when nothing is drawn (no terminal, --json, SYNCLOG_NO_PROGRESS): the caller may say what it does instead. */
  readonly visible: boolean;
}

const SILENT: Progress = { setTotal() {}, update() {}, increment() {}, report() {}, stop() {}, visible: false };

export interface ProgressOptions {
  label: string;
  total?: number;
  /** 'bytes' shows MB figures; 'items' plain counts. */
  unit?: 'bytes' | 'items';
  json?: boolean;
}

/** A bar's detail may name a root or a path: shown escaped, never as terminal commands. */
function guarded(payload: { detail?: string } | undefined): { detail?: string } {
  return payload?.detail === undefined ? {} : { detail: visibleText(payload.detail) };
}

export function startProgress(options: ProgressOptions): Progress {
  if (options.json || !process.stderr.isTTY || process.env.SYNCLOG_NO_PROGRESS) return SILENT;
  const cliProgress = require('cli-progress') as typeof cliProgressModule;
  const bytes = options.unit === 'bytes';
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${options.label} [{bar}] {percentage}% | ${bytes ? '{valueMB}/{totalMB} MB' : '{value}/{total}'} | {eta_formatted} {detail}`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const mb = (n: number) => (n / 1e6).toFixed(1);
  let total = options.total ?? 0;
  let done = 0;
  bar.start(total, 0, { detail: '', valueMB: mb(0), totalMB: mb(total) });
  const progress: Progress = {
    visible: true,
    setTotal(next) {
      total = next;
      bar.setTotal(next);
      bar.update(done, { totalMB: mb(next) });
    },
    update(next, payload) {
      done = next;
      bar.update(next, { valueMB: mb(next), ...guarded(payload) });
    },
    increment(by = 1, payload) {
      done += by;
      bar.update(done, { valueMB: mb(done), ...guarded(payload) });
    },
    report(doneNow, totalNow) {
      progress.setTotal(totalNow);
      progress.update(doneNow);
    },
    stop() {
      bar.stop();
    },
  };
  return progress;
}
