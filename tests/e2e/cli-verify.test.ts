// `synclog verify` as a user runs it (the built CLI): a sound log, a flipped byte, --help.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { segmentFileName } from '../../src/log/index.js';
import { flipByte } from '../helpers/corrupt.js';
import { buildLog } from '../helpers/log-fixture.js';
import { runCli } from '../helpers/run-cli.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

describe('synclog verify', () => {
  it('reports a sound log with exit 0 and JSON counts', async () => {
    const dir = await makeTmpDir();
    await buildLog(dir, 25, { segmentBytesMax: 300 });
    const result = await runCli(['verify', '--log', dir, '--json']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    const report = JSON.parse(lines[0]!);
    expect(Object.keys(report).sort()).toEqual(['bytes', 'errors', 'ok', 'records', 'segments']);
    expect(report).toMatchObject({ ok: true, records: 25, errors: [] });
    expect(report.segments).toBeGreaterThan(1);
    const text = await runCli(['verify', '--log', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('25 records');
  });

  it('names segment and offset of a flipped byte, exit 1', async () => {
    const dir = await makeTmpDir();
    const positions = await buildLog(dir, 10);
    const victim = positions[3]!;
    await flipByte(join(dir, victim.segment), victim.offset + 15);
    const json = await runCli(['verify', '--log', dir, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([{ segment: segmentFileName(0), offset: victim.offset, reason: expect.any(String) }]);
    const text = await runCli(['verify', '--log', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${segmentFileName(0)} at offset ${victim.offset}`);
  });

  it('has --help', async () => {
    const result = await runCli(['verify', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--log <dir>');
    expect(result.stdout).toContain('--json');
  });

  it('reports a missing log as a problem (exit 1), in JSON too', async () => {
    const dir = await makeTmpDir();
    const result = await runCli(['verify', '--log', join(dir, 'nope'), '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'SYNCLOG_NOT_FOUND' } });
  });
});
