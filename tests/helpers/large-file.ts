// Runs tests/helpers/large-file-child.mjs in its two steps (write the file, then store and read it back in a fresh
// process whose peak RSS is the store's own) and returns the merged report. Used by the suite and by npm run stress.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './run-cli.js';

export interface LargeFileReport {
  bytes: number;
  sourceHash: string;
  contentId: string;
  readHash: string;
  readBytes: number;
  chunks: number;
  storedBytes: number;
  peakRssBytes: number;
  vmHwmBytes?: number;
  ingestSeconds: number;
  totalSeconds: number;
}

/** The 300 MiB the issue allows a process storing and reading back a 1 GiB file. */
export const LARGE_FILE_RSS_MAX_BYTES = 300 * 1024 * 1024;

function runStep(args: string[]): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'tests/helpers/large-file-child.mjs'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 || stderr !== '') reject(new Error(`large-file child ${args[0]} failed (${code ?? signal}): ${stderr}`));
      else resolve(JSON.parse(stdout.trim()) as Record<string, unknown>);
    });
  });
}

export async function runLargeFileCheck(dir: string, bytes: number, kind: 'random' | 'text' = 'random'): Promise<LargeFileReport> {
  const written = await runStep(['write', dir, String(bytes), kind]);
  const stored = await runStep(['store', dir]);
  return { ...stored, sourceHash: written.sourceHash } as LargeFileReport;
}
