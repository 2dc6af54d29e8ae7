// Receive time (docs/format.md "Receive time"): origin.receivedMs decodes and is checked like any field; forget
// judges a pushed version by it and falls back to the record's own time without it (records pushed before 0.5, or
// recorded by the log's own writer); a policy as one string (`serve --retain`) parses to forget's rules.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log } from '../../../src/log/index.js';
import { decodeRecord, encodeRecord, newVersionId, type RecordOrigin, type VersionRecord } from '../../../src/record/index.js';
import { forgetVersions, parsePolicyText, retentionTimeOf } from '../../../src/retention/index.js';
import { openStore } from '../../../src/store/index.js';
import type { LogPath } from '../../../src/util/log-path.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 5, 1, 12);

function dirVersion(path: string, time: number, origin?: RecordOrigin): VersionRecord {
  return { kind: 'version', versionId: newVersionId(time), time, root: 'r', path: path as LogPath, type: 'dir', event: 'modified', size: 0, mtimeMs: time, mode: 0o40755, uid: 0, gid: 0, ...(origin ? { origin } : {}) };
}

describe('origin.receivedMs', () => {
  it('round-trips, is optional, and must be a non-negative integer', () => {
    const stamped = dirVersion('a', 5, { log: '0-1111111111111111', seq: 3, receivedMs: NOW_MS });
    const { tag, payload } = encodeRecord(stamped);
    expect(decodeRecord(tag, payload)).toEqual(stamped);
    const older = dirVersion('a', 5, { log: '0-1111111111111111', seq: 3 });
    expect((decodeRecord(encodeRecord(older).tag, encodeRecord(older).payload) as VersionRecord).origin).toEqual({ log: '0-1111111111111111', seq: 3 });
    for (const bad of [-1, 1.5, 'soon']) {
      const forged = { ...older, origin: { ...older.origin!, receivedMs: bad as number } };
      expect(() => decodeRecord(tag, encodeRecord(forged).payload)).toThrow(/receivedMs/);
    }
  });

  it('is what retention judges by, the record time only without it', () => {
    expect(retentionTimeOf({ time: 1, origin: { receivedMs: 2 } })).toBe(2);
    expect(retentionTimeOf({ time: 1, origin: {} })).toBe(1);
    expect(retentionTimeOf({ time: 1 })).toBe(1);
  });
});

describe('forget on a log of pushed versions', () => {
  it('keeps by receive time over the client time, and by record time where there is none', async () => {
    const dir = join(await makeTmpDir(), 'log');
    const store = await openStore(dir, { workers: 0 });
    const origin = (seq: number, receivedMs?: number): RecordOrigin => ({ log: '0-2222222222222222', seq, ...(receivedMs !== undefined ? { receivedMs } : {}) });
    // "skewed": a client whose clock says 2001, received by the server in the last hours.
    // "future": a client clock far ahead, received 10 days ago.
    // "legacy": pushed before receive times (none), client times 10 days ago.
    const records = [
      dirVersion('skewed', Date.UTC(2001, 0, 1), origin(1, NOW_MS - 3 * 3_600_000)),
      dirVersion('skewed', Date.UTC(2001, 0, 2), origin(2, NOW_MS - 2 * 3_600_000)),
      dirVersion('skewed', Date.UTC(2001, 0, 3), origin(3, NOW_MS - 3_600_000)),
      dirVersion('future', NOW_MS + 400 * DAY_MS, origin(4, NOW_MS - 10 * DAY_MS)),
      dirVersion('future', NOW_MS + 401 * DAY_MS, origin(5, NOW_MS - 10 * DAY_MS + 1)),
      dirVersion('legacy', NOW_MS - 10 * DAY_MS, origin(6)),
      dirVersion('legacy', NOW_MS - 10 * DAY_MS + 1, origin(7)),
    ];
    await store.appendRecords(records);
    await store.close();
    const log = await Log.open(dir, { readOnly: true });
    try {
      const report = await forgetVersions(log, { policy: { keepWithinMs: DAY_MS }, policyText: 'test', nowMs: NOW_MS, dryRun: true });
      // skewed: all within a day of the server's now (by the client's 2001 clock all but the newest would go).
      // future: received 10 days ago, so only the newest (always kept) stays, though the client says next year.
      // legacy: judged by its record time, 10 days old.
      expect(report.forgotten.map((v) => v.versionId)).toEqual([records[3]!.versionId, records[5]!.versionId]);
      expect(report.forgotten[0]).toMatchObject({ time: records[3]!.time, receivedMs: NOW_MS - 10 * DAY_MS });
      expect(report.forgotten[1]!.receivedMs).toBeUndefined();
      expect(report.kept).toBe(5);
    } finally {
      await log.close();
    }
  });
});

describe('parsePolicyText', () => {
  it("reads forget's rules as rule=value, separated by commas or spaces", () => {
    expect(parsePolicyText('keep-last=3,keep-daily=7 keep-weekly=4, keep-monthly=12,keep-hourly=24,keep-within=1d12h')).toEqual({
      keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepHourly: 24, keepWithinMs: 36 * 3_600_000,
    });
  });

  it('refuses bad rules, values, repeats and a policy that keeps nothing, naming the part', () => {
    expect(() => parsePolicyText('keep-dayly=7')).toThrow(/keep-dayly=7/);
    expect(() => parsePolicyText('keep-daily')).toThrow(/bad retention rule "keep-daily"/);
    expect(() => parsePolicyText('keep-daily=seven')).toThrow(/whole number/);
    expect(() => parsePolicyText('keep-within=30')).toThrow(/bad duration/);
    expect(() => parsePolicyText('keep-last=1,keep-last=2')).toThrow(/twice/);
    expect(() => parsePolicyText('keep-last=0')).toThrow(/no retention policy/);
    expect(() => parsePolicyText('')).toThrow(/no retention policy/);
  });
});
