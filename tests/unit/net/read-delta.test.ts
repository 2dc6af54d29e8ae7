// Read deltas (docs/protocol.md "Read deltas"): the 0x05 message's bytes, the one reconstruction both ends run
// (expandVersionPayload gives back the stored payload byte for byte, and anything else for a wrong base), the limits
// of an expansion, the path check on a delta's payload, and the records request's `delta` parameter.
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../src/errors.js';
import { FRAME_HEADER_BYTES } from '../../../src/log/index.js';
import { encodeVersionDeltaHead, RECORD_MESSAGES, VERSION_DELTA_HEAD_BYTES } from '../../../src/net/protocol.js';
import { parseRecordsRequest } from '../../../src/net/serve-records.js';
import { chunkDelta, DELTA_OP_BYTES, DeltaError, expandVersionPayload, readDeltaOps } from '../../../src/net/version-delta.js';
import { encodeRecord, newVersionId, versionDeltaPath, type ChunkRef, type VersionRecord } from '../../../src/record/index.js';
import type { LogPath } from '../../../src/util/log-path.js';
import { PUSH_LIMITS } from '../../../src/util/limits.js';

const chunk = (n: number): ChunkRef => ({ id: new Uint8Array(32).fill(n), size: 1000 + n });

function version(chunks: ChunkRef[], path = 'dir/big.txt'): VersionRecord {
  return {
    kind: 'version', versionId: newVersionId(1_700_000_000_000), time: 1_700_000_000_000, root: 'docs', path: path as LogPath, type: 'file', event: 'modified',
    size: chunks.reduce((sum, c) => sum + c.size, 0), mtimeMs: 1_700_000_000_123.5, mode: 0o644, uid: 1000, gid: 1000, contentId: new Uint8Array(32).fill(7), chunks,
  };
}

describe('the version delta message (0x05)', () => {
  it('lays out seq, offset, the frame header, baseSeq, ops and the payload size as documented', () => {
    const header = Uint8Array.from({ length: FRAME_HEADER_BYTES }, (_, i) => 0xa0 + i);
    const ops = [{ copyFrom: 0, count: 799 }, { literals: 1 }, { copyFrom: 800, count: 800 }];
    const head = Buffer.from(encodeVersionDeltaHead(1207, 204_145, header, 1199, ops, 321));
    expect(head.length).toBe(VERSION_DELTA_HEAD_BYTES + 3 * DELTA_OP_BYTES + 4);
    expect(head[0]).toBe(RECORD_MESSAGES.versionDelta);
    expect(head.readBigUInt64LE(1)).toBe(1207n);
    expect(head.readBigUInt64LE(9)).toBe(204_145n);
    expect([...head.subarray(17, 31)]).toEqual([...header]);
    expect(head.readBigUInt64LE(31)).toBe(1199n);
    expect(head.readUInt32LE(39)).toBe(3);
    expect(readDeltaOps(head, 43, 3)).toEqual(ops);
    expect(head.readUInt32LE(43 + 27)).toBe(321);
  });

  it('an op byte the client does not know is a DeltaError', () => {
    const bytes = Buffer.alloc(DELTA_OP_BYTES);
    bytes[0] = 7;
    expect(() => readDeltaOps(bytes, 0, 1)).toThrow(DeltaError);
  });
});

describe('expandVersionPayload: the reconstruction both ends run', () => {
  const base = Array.from({ length: 40 }, (_, i) => chunk(i));
  const edited = [...base.slice(0, 20), chunk(200), ...base.slice(21)];
  const record = version(edited);
  const stored = encodeRecord(record).payload;
  const delta = chunkDelta(base, edited)!;
  const deltaPayload = encodeRecord({ ...record, chunks: delta.literals }).payload;

  it('gives back the stored payload byte for byte from the right base, and a smaller payload travels', () => {
    expect(delta.literals).toEqual([chunk(200)]);
    expect(Buffer.from(expandVersionPayload(deltaPayload, delta.ops, base)).equals(Buffer.from(stored))).toBe(true);
    expect(deltaPayload.length).toBeLessThan(stored.length / 4);
  });

  it('gives other bytes from a base that differs (the destination file changed): the frame checksum then fails', () => {
    const other = base.map((c, i) => (i === 5 ? chunk(250) : c));
    expect(Buffer.from(expandVersionPayload(deltaPayload, delta.ops, other)).equals(Buffer.from(stored))).toBe(false);
  });

  it('refuses ops outside the base, literals left over, and an expansion past deltaChunksMax', () => {
    expect(() => expandVersionPayload(deltaPayload, [{ copyFrom: 30, count: 20 }, { literals: 1 }], base)).toThrow(DeltaError);
    expect(() => expandVersionPayload(deltaPayload, [{ copyFrom: 0, count: 40 }], base)).toThrow(/unused/);
    const huge = Array.from({ length: PUSH_LIMITS.deltaChunksMax + 1 }, (_, i) => chunk(i % 250));
    expect(() => expandVersionPayload(deltaPayload, [{ copyFrom: 0, count: huge.length }, { literals: 1 }], huge)).toThrow(/beyond/);
  });
});

describe('versionDeltaPath', () => {
  it('reads the root and path of a delta payload whose chunk sizes do not add up yet', () => {
    const payload = encodeRecord({ ...version([chunk(1), chunk(2)]), chunks: [chunk(2)] }).payload;
    expect(versionDeltaPath(payload)).toEqual({ root: 'docs', path: 'dir/big.txt' });
  });

  it('refuses a path that leaves its root, as decodeRecord does', () => {
    const payload = encodeRecord({ ...version([chunk(1)]), path: '../etc/passwd' as LogPath }).payload;
    expect(() => versionDeltaPath(payload)).toThrow(CorruptionError);
  });
});

describe('GET /v1/records?delta=', () => {
  it('takes delta=1, refuses any other value or a repeat', () => {
    expect(parseRecordsRequest(new URLSearchParams('from=0&delta=1')).delta).toBe(true);
    expect(parseRecordsRequest(new URLSearchParams('from=0')).delta).toBe(false);
    expect(() => parseRecordsRequest(new URLSearchParams('from=0&delta=0'))).toThrow(/delta/);
    expect(() => parseRecordsRequest(new URLSearchParams('from=0&delta=1&delta=1'))).toThrow(/twice/);
  });
});
