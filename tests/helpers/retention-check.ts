// The checks every retention fault test ends with (tests/fault/prune-sigkill, serve-retain-sigkill): which version
// records a log still holds, that each kept version's content reads back exactly, that `synclog verify` passes; and
// a kill that lands while a prune rewrites (after its first temp segment or its manifest appears).
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { expect } from 'vitest';
import { Log } from '../../src/log/index.js';
import { decodeRecord, RECORD_TAGS } from '../../src/record/index.js';
import { openStore } from '../../src/store/index.js';
import type { BuiltVersion } from './retention-log.js';
import { runCli } from './run-cli.js';
import { seededBytes } from './seeded-bytes.js';

/** The version ids the log's segments hold (forgotten or not), sorted. */
export async function visibleVersions(dir: string): Promise<string[]> {
  const log = await Log.open(dir, { readOnly: true });
  const ids: string[] = [];
  try {
    for await (const entry of log.read({ tags: [RECORD_TAGS.version] })) {
      const record = decodeRecord(entry.tag, entry.payload);
      if (record.kind === 'version') ids.push(record.versionId);
    }
  } finally {
    await log.close();
  }
  return ids.sort();
}

/** Every kept version's content reads back exactly (chunks located by id, hashed by the store). */
export async function checkKeptContent(dir: string, kept: readonly BuiltVersion[], bytes: number): Promise<void> {
  const store = await openStore(dir, { readOnly: true, workers: 0 });
  try {
    const catalog = await store.catalog();
    for (const version of kept) {
      const stored = catalog.findVersion(version.versionId);
      expect(stored, version.versionId).toBeDefined();
      const record = stored!.record;
      if (record.kind !== 'version') throw new Error('not a version');
      const parts: Uint8Array[] = [];
      for (const chunk of record.chunks ?? []) parts.push(await store.readChunk(chunk.id));
      expect(Buffer.concat(parts).equals(Buffer.from(seededBytes(bytes, version.seed)))).toBe(true);
    }
  } finally {
    await store.close();
  }
}

/**
 * What every retention fault test checks after a kill: the log as left verifies and holds every kept version with its
 * exact content, and once a writer has opened it (which finishes a committed prune) it is in exactly one of the two
 * states `whole` (nothing pruned) or `pruned`. Returns the version ids it then holds.
 */
export async function checkAfterKill(dir: string, kept: readonly BuiltVersion[], bytes: number, states: { whole: readonly string[]; pruned: readonly string[] }): Promise<string[]> {
  await verifyOk(dir);
  const seen = await visibleVersions(dir);
  for (const version of kept) expect(seen).toContain(version.versionId);
  await checkKeptContent(dir, kept, bytes);
  await (await Log.open(dir, { create: false })).close();
  const after = await visibleVersions(dir);
  expect([JSON.stringify(states.whole), JSON.stringify(states.pruned)]).toContain(JSON.stringify(after));
  return after;
}

export async function verifyOk(dir: string): Promise<void> {
  const result = await runCli(['verify', '--log', dir, '--json'], { timeoutMs: 120_000 });
  const report = JSON.parse(result.stdout) as { ok: boolean; missingChunks: unknown[] };
  expect(report, result.stdout).toMatchObject({ ok: true });
  expect(result.code).toBe(0);
}

/**
 * Kills `child` with SIGKILL `delayMs` after a prune of the log in `dir` starts rewriting (a hidden
 * `.*.synclog-prune` file or the PRUNE manifest appears), so kills land in the rewrite and commit, not in node's
 * start-up. Resolves once the child has exited: killed, or done before the kill.
 */
export function killWhenPruning(child: ChildProcess, dir: string, delayMs: number): Promise<{ killed: boolean }> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      if (timer) return;
      const started = readdirSync(dir).some((name) => name.endsWith('.synclog-prune') || name === 'PRUNE');
      if (started) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    }, 2);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL' });
    });
  });
}
