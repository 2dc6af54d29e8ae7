// Shared helpers for the store's tests: deterministic content, version records for ingested content, stream collect.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/run-cli.js';
import { newVersionId, type VersionRecord } from '../../../src/record/index.js';
import type { IngestedContent, StatKey } from '../../../src/store/index.js';
import type { LogPath } from '../../../src/util/log-path.js';

/** Deterministic pseudo-random bytes (xorshift32): the same seed always gives the same content. */
export function prng(bytes: number, seed = 1): Uint8Array {
  const out = new Uint8Array(bytes);
  const words = new Uint32Array(out.buffer, 0, bytes >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < bytes; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

/** Compressible, text-like content (words from a small vocabulary, deterministic). */
export function textLike(bytes: number, seed = 1): Uint8Array {
  const words = ['store', 'chunk', 'log', 'segment', 'version', 'record', 'the', 'a', 'of', 'to', 'and', 'file', 'path', 'index', '\n'];
  const out = new Uint8Array(bytes);
  let x = seed >>> 0 || 1;
  let at = 0;
  while (at < bytes) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const word = words[(x >>> 0) % words.length]! + ' ';
    for (let i = 0; i < word.length && at < bytes; i++) out[at++] = word.charCodeAt(i);
  }
  return out;
}

export function versionOf(root: string, path: string, content: IngestedContent & { stat?: StatKey }, timeMs = Date.now()): VersionRecord {
  return {
    kind: 'version',
    versionId: newVersionId(timeMs),
    time: timeMs,
    root,
    path: path as LogPath,
    type: 'file',
    event: 'created',
    size: content.size,
    mtimeMs: content.stat?.mtimeMs ?? timeMs,
    mode: 0o644,
    uid: 0,
    gid: 0,
    contentId: content.contentId,
    chunks: content.chunks,
  };
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** The store's source entry, for child-process scripts (run through tsx, as vitest runs the sources). */
export const STORE_SOURCE = join(REPO_ROOT, 'src', 'store', 'index.ts');

/**
 * Runs `code` (an ES module, TypeScript allowed) in a real child process with the repository's tsx loader;
 * `STORE` in the code is replaced by the store's source path. stdout/stderr are piped.
 */
export function spawnTsChild(dir: string, name: string, code: string, args: string[] = []): ChildProcess {
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, code.replaceAll('STORE', JSON.stringify(STORE_SOURCE)));
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Waits for a child to exit; resolves with its code, signal and output. */
export function childExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
