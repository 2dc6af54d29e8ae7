// `synclog forget` and `synclog prune` through the CLI: a dry run lists exactly what a real forget then records,
// prune frees the space and keeps exactly the kept versions (content, seqs), verify passes, history shows the
// kept ones; bad input changes nothing (exit 2); an older synclog refuses the log by version.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { decodeRecord, RECORD_TAGS } from '../../src/record/index.js';
import { buildRetentionLog } from '../helpers/retention-log.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

interface ForgetJson {
  dryRun: boolean;
  paths: number;
  kept: number;
  forgotten: { versionId: string; root: string; path: string; time: number; seq: number }[];
  recordSeqs: number[];
}

interface PruneJson {
  dryRun: boolean;
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
  bytesFreed: number;
  versionsRemoved: number;
  chunksRemoved: number;
}

async function versionSeqs(dir: string): Promise<Map<string, number>> {
  const log = await Log.open(dir, { readOnly: true });
  const seqs = new Map<string, number>();
  try {
    for await (const entry of log.read({ tags: [RECORD_TAGS.version] })) {
      const record = decodeRecord(entry.tag, entry.payload);
      if (record.kind === 'version') seqs.set(record.versionId, entry.seq);
    }
  } finally {
    await log.close();
  }
  return seqs;
}

describe('synclog forget / prune', () => {
  it('dry run = real forget; prune frees half and keeps exactly the kept versions at their seqs', { timeout: 240_000 }, async () => {
    const dir = join(await makeTmpDir(), 'log');
    const built = await buildRetentionLog(dir, { paths: 3, versions: 6, bytes: 64 * 1024 });
    const before = await versionSeqs(dir);

    const dry = await runCli(['forget', '--log', dir, '--keep-last', '3', '--json', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as ForgetJson;
    expect(planned).toMatchObject({ dryRun: true, paths: 3, kept: 9, recordSeqs: [] });
    // Versions 0..2 of each path go (keep-last 3 of 6), in log order.
    const expected = built.filter((_, i) => Math.floor(i / 3) < 3).map((v) => v.versionId);
    expect(planned.forgotten.map((v) => v.versionId)).toEqual(expected);
    expect((await versionSeqs(dir)).size).toBe(18); // a dry run writes nothing

    const real = JSON.parse((await runCli(['forget', '--log', dir, '--keep-last', '3', '--json'])).stdout) as ForgetJson;
    expect(real.forgotten).toEqual(planned.forgotten);
    expect(real.recordSeqs.length).toBe(1);
    // Forgetting again with the same policy finds nothing new.
    const again = JSON.parse((await runCli(['forget', '--log', dir, '--keep-last', '3', '--json'])).stdout) as ForgetJson;
    expect(again.forgotten).toEqual([]);
    // Until a prune, `synclog log` lists the forgotten versions, marked (--json forgotten: true), and no other.
    const changes = JSON.parse((await runCli(['log', '--log', dir, '--json'])).stdout) as { versionId: string; forgotten?: boolean }[];
    expect(changes.filter((c) => c.forgotten === true).map((c) => c.versionId)).toEqual(expected);
    expect(changes).toHaveLength(18);
    const lines = (await runCli(['log', '--log', dir])).stdout.trim().split('\n');
    expect(lines.filter((line) => line.endsWith('[forgotten]')).map((line) => line.split(' ')[0])).toEqual(expected);

    const dryPrune = JSON.parse((await runCli(['prune', '--log', dir, '--dry-run', '--json', '--max-unused', '0'])).stdout) as PruneJson;
    const prune = await runCli(['prune', '--log', dir, '--json', '--max-unused', '0']);
    expect(prune.code, prune.stderr).toBe(0);
    const report = JSON.parse(prune.stdout) as PruneJson;
    expect(report.versionsRemoved).toBe(9);
    expect(dryPrune.versionsRemoved).toBe(9);
    expect(dryPrune.chunksRemoved).toBe(report.chunksRemoved);
    // Half the content goes (every version has its own content): about half the bytes.
    expect(report.bytesFreed).toBeGreaterThan(report.bytesBefore * 0.4);
    expect(report.bytesAfter).toBe(report.bytesBefore - report.bytesFreed);

    const after = await versionSeqs(dir);
    expect([...after.keys()].sort()).toEqual(built.filter((v) => !expected.includes(v.versionId)).map((v) => v.versionId).sort());
    for (const [id, seq] of after) expect(seq).toBe(before.get(id)); // kept records keep their seqs

    const verify = await runCli(['verify', '--log', dir, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, versions: 9, unreferencedChunks: 0 });
    const history = await runCli(['history', '--log', dir, 'r/f0.bin', '--json']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).not.toContain(expected[0]);
    expect(history.stdout).toContain(built[built.length - 3]!.versionId);
    // Human output escapes nothing here but says what it did; a second prune has nothing to do.
    const text = await runCli(['prune', '--log', dir, '--max-unused', '0']);
    expect(text.stdout).toMatch(/remove 0 version\(s\) and 0 chunk\(s\) from 0 segment/);
    expect((await readdir(dir)).filter((n) => n.includes('synclog-prune') || n === 'PRUNE')).toEqual([]);
  });

  it('refuses an empty policy, bad numbers and a bad --max-unused with exit 2, changing nothing', { timeout: 120_000 }, async () => {
    const dir = join(await makeTmpDir(), 'log');
    await buildRetentionLog(dir, { paths: 1, versions: 3, bytes: 1024 });
    const names = (await readdir(dir)).sort();
    for (const args of [['forget'], ['forget', '--keep-last', 'x'], ['forget', '--keep-within', '30'], ['prune', '--max-unused', '120%']]) {
      const result = await runCli([...args, '--log', dir]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/synclog: /);
    }
    expect((await readdir(dir)).sort()).toEqual(names);
    expect((await runCli(['forget', '--help'])).stdout).toMatch(/--keep-within/);
    expect((await runCli(['prune', '--help'])).stdout).toMatch(/--max-unused/);
  });

  it('--path limits the policy to matching paths; --keep-within uses this host\'s clock', { timeout: 120_000 }, async () => {
    const dir = join(await makeTmpDir(), 'log');
    // Versions an hour apart ending about now: keep-within 150m keeps the newest three of each path.
    const now = Date.now();
    const built = await buildRetentionLog(dir, { paths: 2, versions: 5, bytes: 1024, startMs: now - 4 * 3_600_000 - 60_000 });
    const result = JSON.parse((await runCli(['forget', '--log', dir, '--keep-within', '150m', '--path', 'r/f1.bin', '--json', '--dry-run'])).stdout) as ForgetJson;
    expect(result.paths).toBe(1);
    expect(result.forgotten.map((v) => v.versionId)).toEqual(built.filter((v) => v.path === 'f1.bin').slice(0, 2).map((v) => v.versionId));
  });
});
