// Golden logs of format version 1 (tests/fixtures/format-v1, made by the code via generate.ts): they must always
// decode to exactly the records they were made with. A failure here is format drift, not a fixture to regenerate.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initChecksum } from '../../../src/log/checksum.js';
import { FRAME_FLAGS } from '../../../src/log/format.js';
import { decodeFrame, encodeFrame } from '../../../src/log/frame.js';
import { decodeSegmentHeader } from '../../../src/log/segment-header.js';
import { Log, segmentFileName, verifyLog } from '../../../src/log/index.js';
import { copyLog, readAll } from '../../helpers/log-fixture.js';
import { REPO_ROOT } from '../../helpers/run-cli.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const FIXTURES = join(REPO_ROOT, 'tests', 'fixtures', 'format-v1');

interface Expected {
  seq: number;
  segment: string;
  offset: number;
  tag: number;
  payloadHex: string;
}

/** `hexdump -C` rendering, as used for the worked example in docs/format.md. */
function hexdumpC(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = [...bytes.subarray(at, at + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`);
  }
  lines.push(bytes.length.toString(16).padStart(8, '0'));
  return lines.join('\n');
}

beforeAll(async () => {
  await initChecksum();
});

describe('format v1 golden log', () => {
  it('decodes to exactly the records it was made with', async () => {
    const expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Expected[];
    const dir = await makeTmpDir();
    await copyLog(join(FIXTURES, 'log'), dir);
    const log = await Log.open(dir, { readOnly: true });
    expect(log.nextSeq).toBe(expected.length);
    const entries = await readAll(log);
    expect(entries.map((e) => ({ seq: e.seq, segment: e.segment, offset: e.offset, tag: e.tag, payloadHex: Buffer.from(e.payload).toString('hex') }))).toEqual(expected);
    for (const e of expected) {
      const at = await log.readAt(e);
      expect(Buffer.from(at.payload).toString('hex')).toBe(e.payloadHex);
    }
    expect((await readAll(log, { fromSeq: 9 })).map((e) => e.seq)).toEqual(expected.slice(9).map((e) => e.seq));
    await log.close();
    expect(await verifyLog(dir)).toMatchObject({ ok: true, segments: 3, records: expected.length, errors: [] });
  });

  it('the worked two-record segment decodes field by field and re-encodes to the same bytes', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'two-records', segmentFileName(0))));
    const header = decodeSegmentHeader(bytes);
    expect(header).toEqual({ kind: 'header', header: { formatVersion: 1, checksumAlgorithm: 1, baseSeq: 0, salt: 0x0123456789abcdefn } });
    const salt = 0x0123456789abcdefn;
    const first = decodeFrame(bytes, 40, salt);
    const second = decodeFrame(bytes, 59, salt);
    expect(first.kind === 'frame' && new TextDecoder().decode(first.payload)).toBe('hello');
    expect(second.kind === 'frame' && new TextDecoder().decode(second.payload)).toBe('world!');
    expect(Buffer.from(encodeFrame(1, FRAME_FLAGS.full, new TextEncoder().encode('hello'), salt)).equals(Buffer.from(bytes.subarray(40, 59)))).toBe(true);
    expect(bytes.length).toBe(79);
  });

  it('docs/format.md shows exactly this segment in its worked example', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'two-records', segmentFileName(0))));
    const doc = await readFile(join(REPO_ROOT, 'docs', 'format.md'), 'utf8');
    expect(doc).toContain(hexdumpC(bytes));
  });
});
