// The golden log of format version 2 (tests/fixtures/format-v2, made by the code via generate.ts): it must always
// decode to exactly the records it was made with, and its zstd, deflate and raw chunks to the file they make up.
// A failure here is format drift, not a fixture to regenerate.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initChecksum } from '../../../src/log/checksum.js';
import { decodeSegmentHeader } from '../../../src/log/segment-header.js';
import { Log, segmentFileName, verifyLog } from '../../../src/log/index.js';
import { decodeRecord } from '../../../src/record/index.js';
import { openStore, readyCodecs } from '../../../src/store/index.js';
import { DEFAULT_PARAMS } from '../../../src/store/store-params.js';
import { copyLog, readAll } from '../../helpers/log-fixture.js';
import { REPO_ROOT } from '../../helpers/run-cli.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const FIXTURES = join(REPO_ROOT, 'tests', 'fixtures', 'format-v2');

interface Expected {
  records: { seq: number; segment: string; offset: number; tag: number; payloadHex: string }[];
  contentHex: string;
}

beforeAll(async () => {
  await initChecksum();
  await readyCodecs();
});

describe('format v2 golden log', () => {
  it('decodes to exactly the records it was made with; its chunks (zstd, deflate, raw) read back the file', async () => {
    const expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
    const header = decodeSegmentHeader(new Uint8Array(await readFile(join(FIXTURES, 'log', segmentFileName(0)))));
    expect(header.kind === 'header' && header.header.formatVersion).toBe(2);
    const dir = await makeTmpDir();
    await copyLog(join(FIXTURES, 'log'), dir);
    const log = await Log.open(dir, { readOnly: true });
    const entries = await readAll(log);
    await log.close();
    expect(entries.map((e) => ({ seq: e.seq, segment: e.segment, offset: e.offset, tag: e.tag, payloadHex: Buffer.from(e.payload).toString('hex') }))).toEqual(expected.records);
    const records = entries.map((e) => decodeRecord(e.tag, e.payload));
    expect(records[0]).toEqual(DEFAULT_PARAMS);
    expect(records.filter((r) => r.kind === 'chunk').map((r) => r.kind === 'chunk' && r.codec)).toEqual(['zstd', 'deflate', 'raw']);
    expect(await verifyLog(dir)).toMatchObject({ ok: true, records: expected.records.length, errors: [] });
    const store = await openStore(dir, { readOnly: true, workers: 0 });
    try {
      const stored = [];
      for await (const entry of store.entries()) stored.push(entry.record);
      const version = stored[0]!;
      expect(stored).toHaveLength(1);
      expect(version.kind === 'version' && version.chunks).toBeTruthy();
      const parts: Uint8Array[] = [];
      for await (const part of store.readContent(version.kind === 'version' ? version.chunks! : [])) parts.push(part);
      expect(Buffer.concat(parts).toString('hex')).toBe(expected.contentHex);
      expect(store.params).toEqual(DEFAULT_PARAMS);
    } finally {
      await store.close();
    }
  });
});
